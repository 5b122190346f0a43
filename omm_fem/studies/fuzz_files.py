"""The files of a fuzz case (:mod:`omm_fem.studies.fuzz_attacks`): special files, edited
``.npz`` stores (checkpoints, sweep chunks, final states) and edited CSV data, and the
real stores and mesh they start from (:func:`produce_resources`, made once per run).

Everything here writes into a case's own folder; a FIFO is created and never
opened (a reader of it blocks until a writer appears, so it tests that inputs
are checked before they are opened).
"""
from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["make_special", "edit_store", "csv_text", "size_cap", "produce_resources", "T_END"]

T_END = 5e-13  # fuzz_attacks.RUN_TRANSIENT's t_end
BIG = 3 * 10**9  # a sparse file above every cap (bytes)


def size_cap(name):
    """The size limit (bytes) that the reader of a file of this name enforces, or None."""
    from ..config import CONFIG_MAX_BYTES
    from ..geometry.mesh_io import MESH_MAX_BYTES

    if name.endswith(".toml"):
        return CONFIG_MAX_BYTES
    if name.endswith(".msh"):
        return MESH_MAX_BYTES
    if name.endswith(".csv"):
        from ..fitting.spec import MAX_CSV_BYTES

        return MAX_CSV_BYTES
    return None


def make_special(path, kind, via="name"):
    """Create ``path`` as a special file of ``kind`` (fuzz_io_attacks.special_kinds); with
    ``via = "link"``, ``path`` is a symbolic link to it."""
    name = os.path.basename(path)
    cap = size_cap(name)
    if via == "link":
        os.symlink(name + ".real", path)
        path, name = path + ".real", name + ".real"
    if kind == "dir":
        os.mkdir(path)
    elif kind == "devnull":
        os.symlink("/dev/null", path)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "dangling":
        os.symlink(name + ".missing", path)
    elif kind == "loop":
        os.symlink(name + ".loop", path)
        os.symlink(name, path + ".loop")
    elif kind in ("empty", "unreadable"):
        with open(path, "w") as fh:
            fh.write("" if kind == "empty" else "x = 1\n")
        if kind == "unreadable":
            os.chmod(path, 0)
    elif kind in ("sparse_over", "sparse_under"):
        size = (cap + 1 if cap else BIG) if kind == "sparse_over" else min((cap or BIG) // 2,
                                                                          20 * 10**6)
        with open(path, "wb") as fh:
            fh.truncate(size)
    else:
        raise ValueError(kind)


# ----------------------------------------------------------------- .npz stores
def _meta_paths(node, prefix=()):
    out = []
    items = node.items() if isinstance(node, dict) else enumerate(node) \
        if isinstance(node, list) else ()
    for k, v in items:
        out.append(prefix + (k,))
        out += _meta_paths(v, prefix + (k,))
    return out


def _parent(meta, path):
    node = meta
    for k in path[:-1]:
        node = node[k]
    return node


TIMES = {"t", "h", "h_prev", "h_min", "h_max", "frame_times", "snap_times", "t_step", "t_obs"}
TIME_VALUES = {"t_end_plus": T_END * (1 + 1e-15), "2_t_end": 2 * T_END, "1e308": 1e308,
               "-0.0": -0.0, "nan_json": float("nan"), "neg": -T_END}


def _array_op(a, op):
    a = np.asarray(a)
    f = a.astype(float) if a.dtype.kind in "biuf" else np.zeros(a.shape)
    if op in ("nan", "inf", "huge"):
        f = f.copy()
        if f.size:
            f.flat[0] = {"nan": np.nan, "inf": np.inf, "huge": 1e308}[op]
        return f
    table = {
        "zero": lambda: np.zeros_like(a), "negate": lambda: -f,
        "drop_row": lambda: a[:-1] if a.ndim else a, "add_row": lambda: (
            np.concatenate([a, a[-1:]]) if a.ndim and a.shape[0] else a[None]),
        "drop_col": lambda: a[..., :-1] if a.ndim >= 2 else a, "flatten": lambda: a.ravel(),
        "scalar": lambda: a.ravel()[0] if a.size else np.array(0.0), "transpose": lambda: a.T,
        "add_axis": lambda: a[None],
        "int": lambda: np.clip(np.nan_to_num(f), -2.0**62, 2.0**62).astype(np.int64),
        "bool": lambda: f != 0, "complex": lambda: f + 1j, "str": lambda: a.astype(str),
        "float32": lambda: np.clip(f, -3e38, 3e38).astype(np.float32),
        "empty": lambda: a[:0] if a.ndim else a[None][:0],
        "object": lambda: np.array(a.tolist() if a.ndim else [a.item()], dtype=object)}
    return table[op]()


def _fingerprint(meta, how):
    fp = meta.get("fingerprint")
    if how == "drop":
        meta.pop("fingerprint", None)
    elif how == "not_a_table":
        meta["fingerprint"] = [1]
    elif isinstance(fp, dict):
        if how in ("config_hash", "mesh_hash"):
            key = "config_sha256" if how == "config_hash" else "mesh_sha256"
            h = str(fp.get(key, ""))
            fp[key] = ("0" if h[:1] != "0" else "1") + h[1:]
        elif how == "format":
            fp["format"] = 99
        else:
            fp["omm_fem"] = "0.0.0"


def edit_store(path, ops):
    """Apply the ops of a crafted_checkpoints case (fuzz_attacks._store_op) to the .npz
    store ``path`` in place; returns what was done, one entry per op."""
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays.pop("meta"))) if "meta" in arrays else None
    done, file_ops, meta_raw = [], [], None
    for op in ops:
        kind, sel, arg = op[0], op[1], op[2] if len(op) > 2 else None
        paths = _meta_paths(meta) if meta is not None else []
        if kind in ("meta_drop", "meta_set", "time") and not paths:
            done.append(f"{kind}: no metadata")
            continue
        if kind == "meta_drop":
            p = paths[sel % len(paths)]
            del _parent(meta, p)[p[-1]]
            done.append(f"drop meta {p}")
        elif kind == "meta_set":
            p = paths[sel % len(paths)]
            _parent(meta, p)[p[-1]] = arg
            done.append(f"meta {p} = {arg!r}"[:120])
        elif kind == "time":
            times = [p for p in paths if p[-1] in TIMES or (len(p) > 1 and p[-2] in TIMES)]
            p = (times or paths)[sel % len(times or paths)]
            _parent(meta, p)[p[-1]] = TIME_VALUES[arg]
            done.append(f"time {p} = {arg}")
        elif kind == "array_drop" and arrays:
            name = sorted(arrays)[sel % len(arrays)]
            del arrays[name]
            done.append(f"drop array {name}")
        elif kind == "array" and arrays:
            name = sorted(arrays)[sel % len(arrays)]
            arrays[name] = _array_op(arrays[name], arg)
            done.append(f"array {name} {arg}")
        elif kind == "array_add":
            arrays[sel] = _array_op(np.zeros(3), arg)
            done.append(f"add array {sel} {arg}")
        elif kind == "fingerprint" and meta is not None:
            _fingerprint(meta, arg)
            done.append(f"fingerprint {arg}")
        elif kind == "file":
            if arg.startswith("meta_") or arg == "no_meta":
                meta_raw = arg
            else:
                file_ops.append((sel, arg))
            done.append(f"file {arg}")
    data = dict(arrays)
    if meta is not None and meta_raw != "no_meta":
        data["meta"] = {"meta_not_json": np.array("{not json"), "meta_list": np.array("[1, 2]"),
                        "meta_2d": np.array([["a", "b"]]),
                        "meta_bytes": np.array(json.dumps(meta).encode())}.get(
            meta_raw, np.array(json.dumps(meta)))
    np.savez(path, **data)
    for sel, arg in file_ops:
        _file_op(path, sel, arg)
    return done


def _file_op(path, sel, arg):
    with open(path, "rb") as fh:
        raw = fh.read()
    if arg == "truncate":
        raw = raw[:sel % max(len(raw), 1)]
    elif arg == "flip_byte" and raw:
        k = sel % len(raw)
        raw = raw[:k] + bytes([raw[k] ^ 0xFF]) + raw[k + 1:]
    elif arg == "append_junk":
        raw += b"\x00junk" * 100
    elif arg == "empty_zip":
        with zipfile.ZipFile(path, "w"):
            pass
        return
    elif arg == "npy":
        with open(path, "wb") as fh:
            np.save(fh, np.zeros(3))
        return
    with open(path, "wb") as fh:
        fh.write(raw)


# ----------------------------------------------------------------- CSV data
def _cols(line, keep):
    return ",".join(c for k, c in enumerate(line.split(",")) if k in keep)


def csv_text(base, ops):
    """The CSV text (or bytes) of ``base`` after the edits ``ops`` (fuzz_attacks.CSV_OPS)."""
    lines = base.splitlines()  # comment, header, rows
    out = None
    for op in ops:
        rows = lines[2:]
        if op in ("drop_column", "drop_quantity"):
            keep = {1, 2} if op == "drop_column" else {0, 2}
            lines = lines[:1] + [_cols(x, keep) for x in lines[1:]]
        elif op == "rename_header" and len(lines) > 1:
            lines[1] = lines[1].replace("B_T", "b_t")
        elif op in ("not_a_number", "nan", "inf", "nul", "huge_field"):
            cell = {"not_a_number": "abc", "nan": "nan", "inf": "-inf", "nul": "1\x002",
                    "huge_field": "1" + "0" * 200_000}[op]
            if rows:
                parts = lines[-1].split(",")
                parts[min(1, len(parts) - 1)] = cell
                lines[-1] = ",".join(parts)
        elif op == "empty":
            lines = []
        elif op == "header_only":
            lines = lines[:2]
        elif op == "no_header":
            lines = lines[:1] + rows
        elif op == "huge_line":
            lines.append("1," * 500_000)
        elif op == "extra_column":
            lines = lines[:1] + [x + ",x" for x in lines[1:2]] + [x + ",1" for x in rows]
        elif op == "missing_cell" and rows:
            lines[-1] = lines[-1].rsplit(",", 1)[0]
        elif op == "duplicate_header" and len(lines) > 1:
            lines[1] = "B_T,mr,mr"
        elif op in ("sigma_zero", "sigma_negative") and rows:
            lines[-1] = lines[-1].rsplit(",", 1)[0] + (",0" if op == "sigma_zero" else ",-1e-5")
        elif op in ("many_rows", "too_many_rows"):
            n = 5000 if op == "many_rows" else 100_001
            lines = lines[:2] + [f"{0.5 + k * 1e-4!r},1e-4,1e-5" for k in range(n)]
        elif op == "blank_lines":
            lines = [x for line in lines for x in (line, "", " ")]
        elif op == "quoted":
            lines = lines[:2] + ['"' + x.replace(",", '","') + '"' for x in rows]
        elif op == "semicolons":
            lines = [x.replace(",", ";") for x in lines]
        elif op == "bx_by_bz" and len(lines) > 1:
            lines = lines[:1] + ["Bx_T,By_T,Bz_T,mr"] + [x.split(",")[0] + ",0,0," + (
                x.split(",") + ["0"])[1] for x in rows]
        elif op == "header_spaces" and len(lines) > 1:
            lines[1] = " " + lines[1].replace(",", " , ") + " "
        elif op in ("bom", "crlf", "latin1", "binary"):
            out = op
    text = "\n".join(lines) + ("\n" if lines else "")
    if out == "bom":
        return "\ufeff" + text
    if out == "crlf":
        return text.replace("\n", "\r\n")
    if out == "latin1":
        return ("# caf\xe9\n" + text).encode("latin-1")
    if out == "binary":
        return bytes(range(256)) * 4
    return text


# ----------------------------------------------------------------- resources
def produce_resources(folder):
    """The real files the cases start from, written once into ``folder``: a coarse
    mesh of meshes/cross.geo, RUN_TRANSIENT's checkpoints after step 4 and after the
    last step and its final_state.npz, RUN_STEADY's sweep chunk. Returns {name: path}."""
    from ..config import load_toml, parse_config
    from ..geometry.gmsh_tools import mesh_geo_file
    from ..report import write_outputs  # noqa: F401 -- imported once, before any case
    from ..run import run
    from ..transient import checkpoint as ckpt
    from ..transient import parse_transient, run_transient, write_transient_outputs
    from . import MESHES, fuzz_toml
    from .fuzz_attacks import RUN_STEADY, RUN_TRANSIENT

    folder = Path(folder)
    paths = {"mesh": folder / "mesh.msh", "state": folder / "state.npz",
             "checkpoint_final": folder / "checkpoint_final.npz",
             "checkpoint_mid": folder / "checkpoint_mid.npz", "chunk": folder / "chunk.npz"}
    if all(p.exists() for p in paths.values()):
        return paths
    folder.mkdir(parents=True, exist_ok=True)
    mesh_geo_file(MESHES / "cross.geo", paths["mesh"], edge_size=2e-7, size=5e-7)
    for name, cfg in (("transient", RUN_TRANSIENT), ("steady", RUN_STEADY)):
        (folder / f"{name}.toml").write_text(fuzz_toml.dumps(cfg))
    cfg = load_toml(folder / "transient.toml")
    spec = parse_config(cfg, base_dir=folder)
    tspec = parse_transient(cfg, spec, base_dir=folder)
    save = ckpt.Checkpoint.save

    def saving(self, **kw):
        out = save(self, **kw)
        if kw["stepper"].stats.steps == 4:
            shutil.copy(self.path, paths["checkpoint_mid"])
        return out

    ckpt.Checkpoint.save = saving
    try:
        res = run_transient(spec, tspec, progress=False, out_dir=folder / "tr")
    finally:
        ckpt.Checkpoint.save = save
    shutil.copy(folder / "tr" / ckpt.NAME, paths["checkpoint_final"])
    write_transient_outputs(res, folder / "tr")
    shutil.copy(folder / "tr" / "final_state.npz", paths["state"])
    cfg = load_toml(folder / "steady.toml")
    run(parse_config(cfg, base_dir=folder), progress=False, out_dir=folder / "st")
    shutil.copy(folder / "st" / ".sweep-checkpoint" / "chunk_0000.npz", paths["chunk"])
    return paths

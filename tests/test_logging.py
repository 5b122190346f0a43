"""Readable logs: `omm-fem run > log.txt` has phase lines, no carriage returns and the
summary on lines of its own; --log-file, -v and --quiet; progress lines off a terminal,
a tqdm bar on one; `validate` shows per-case lines."""
import io
import logging
import re
import subprocess
import sys

import pytest

from omm_fem import logs
from omm_fem.cli import main

TINY = """
[geometry]
kind = "rectangle"
length = 400e-9
width = 300e-9
[mesh]
order = 1
[material]
D = 1e-1
tau = 1e-12
alpha = 0.1
sigma = 1e-3
mobility = 0.5
X = [[2e31, 0, 0], [0, 2e31, 0], [0, 0, 5e30]]
[field]
B = [0.0, 2.0, 0.0]
[sweep]
B_T = [0.0, 1.0, 2.0, 3.0]
[contacts.source]
voltage = 1e-3
omm = "sink"
[contacts.drain]
voltage = 0.0
omm = "relaxing"
s = 1e4
"""
PHASES = ("meshing (gmsh): ", "discretization: P1, ", "charge problem (direct solver): ",
          "OMM operator (", "solve at B = [0.0, 2.0, 0.0] T: ", "field sweep (direct): 4/4 fields in ",
          "writing outputs: ", "finished in ")
SUMMARY = ("omm-fem run: ", "mesh: ", "field B = ", "current I = ", "R = ", "rho = ",
           "current balance ", "sweep: 4 fields ", "time: ", "wrote: ")
STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} (DEBUG|INFO) +omm_fem\.[\w.]+: ")


@pytest.fixture(scope="module")
def piped(tmp_path_factory):
    """`omm-fem run tiny.toml --log-file run.log > out.txt 2>&1` in a subprocess."""
    tmp = tmp_path_factory.mktemp("logs")
    (tmp / "tiny.toml").write_text(TINY)
    with open(tmp / "out.txt", "wb") as fh:
        code = subprocess.run([sys.executable, "-m", "omm_fem.cli", "run", "tiny.toml", "--out",
                               "out", "--log-file", "run.log"], cwd=tmp, stdout=fh,
                              stderr=subprocess.STDOUT, timeout=600).returncode
    return code, (tmp / "out.txt").read_bytes(), (tmp / "run.log").read_text()


def _starts(lines, head):
    return [ln for ln in lines if ln.startswith(head)]


def test_redirected_run_is_a_readable_log(piped):
    code, raw, _ = piped
    text = raw.decode()
    assert code == 0, text
    assert b"\r" not in raw and "\x1b" not in text  # no bar updates, no terminal codes
    lines = text.splitlines()
    for head in PHASES + SUMMARY:
        assert len(_starts(lines, head)) == 1, (head, text)
    # the phase lines come in the order the run does them, the summary after them
    order = [lines.index(_starts(lines, h)[0]) for h in PHASES[:-1] + SUMMARY[1:]]
    assert order[:len(PHASES) - 1] == sorted(order[:len(PHASES) - 1])
    assert max(order[:len(PHASES) - 1]) < lines.index(_starts(lines, "mesh: ")[0])
    assert re.search(r"^meshing \(gmsh\): \d+ nodes, \d+ triangles, \d+\.\d s$", text, re.M)
    assert re.search(r"^finished in \d+\.\d s, peak memory \d+ MiB$", text, re.M)
    assert "debug " not in text  # no -v


def test_log_file_has_the_same_lines_time_stamped_with_debug(piped):
    _, raw, logged = piped
    shown = raw.decode().splitlines()
    lines = logged.splitlines()
    assert lines and all(STAMP.match(ln) for ln in lines), logged
    bodies = [STAMP.sub("", ln) for ln in lines]
    for line in shown:  # every line of stdout, in the same order
        assert line in bodies, line
    assert [b for b in bodies if b in shown] == shown
    assert any(re.match(r"factorised \d+ x \d+, \d+ nonzeros \(\w+\), ", b) for b in bodies)
    assert " DEBUG " in logged and any(b.startswith("wrote ") and "kB)" in b for b in bodies)


def test_verbose_and_quiet(tmp_path, capsys):
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(TINY.replace("[sweep]\nB_T = [0.0, 1.0, 2.0, 3.0]\n", ""))
    assert main(["run", str(cfg), "--out", str(tmp_path / "a"), "-v"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^debug omm_fem\.linalg: factorised \d+ x \d+", out, re.M), out
    assert _starts(out.splitlines(), "meshing (gmsh): ")
    log_file = tmp_path / "quiet.log"
    assert main(["-v", "run", str(cfg), "--out", str(tmp_path / "b"), "--quiet",
                 "--log-file", str(log_file)]) == 0
    lines = capsys.readouterr().out.splitlines()
    # --quiet: the summary only (it wins over -v); the log file still gets everything
    assert _starts(lines, "omm-fem run: ") and _starts(lines, "R = ") and _starts(lines, "wrote: ")
    assert not [ln for ln in lines if ln.startswith(("meshing", "finished in", "debug"))]
    logged = log_file.read_text()
    assert " DEBUG " in logged and "meshing (gmsh): " in logged
    assert not logging.getLogger("omm_fem").handlers  # main() removes what it installed


def test_global_options_before_or_after_the_subcommand():
    from omm_fem.cli import build_parser

    parse = build_parser().parse_args
    assert parse(["-v", "run"]).verbose and parse(["run", "-v"]).verbose
    assert not parse(["run"]).verbose and parse(["run"]).log_file is None
    assert parse(["--log-file", "a.log", "validate"]).log_file == "a.log"
    assert parse(["fit", "x.toml", "--log-file", "b.log"]).log_file == "b.log"
    assert parse(["--log-file", "a.log", "xtensor", "--log-file", "b.log"]).log_file == "b.log"


def test_errors_go_to_stderr_and_the_log_file(tmp_path, capsys):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[geometry]\nkind = "rectangle"\nlength = 1e-6\nwidth = 1e-6\nwidht = 2\n')
    log_file = tmp_path / "run.log"
    assert main(["run", str(cfg), "--out", str(tmp_path / "o"), "--log-file", str(log_file)]) == 2
    got = capsys.readouterr()
    assert got.err.startswith("omm-fem: error: geometry.widht: unknown key")
    assert "error" not in got.out
    assert re.search(r" ERROR +omm_fem\.cli: omm-fem: error: geometry\.widht", log_file.read_text())
    (tmp_path / "file").write_text("")
    assert main(["run", "--log-file", str(tmp_path / "file" / "run.log")]) == 2
    assert "--log-file" in capsys.readouterr().err


def test_progress_lines_off_a_terminal(caplog):
    t = [0.0]
    with caplog.at_level(logging.INFO, logger="omm_fem.progress"):
        with logs.Progress(100, "field sweep (direct)", "field", delay=2.0,
                           clock=lambda: t[0]) as p:
            for _ in range(100):
                t[0] += 0.5  # 50 s in all: 5 s per 10 %
                p.update(1)
    lines = [r.getMessage() for r in caplog.records]
    # one line per 10 % up to 90 %, then the closing line with the count and the time
    assert len(lines) == 10, lines
    assert lines[0] == "field sweep (direct): 10/100 fields (10 %), 5.0 s, ~45 s left"
    assert lines[-1] == "field sweep (direct): 100/100 fields in 50.0 s"
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="omm_fem.progress"):
        with logs.Progress(10, "quick", "field", disable=True, clock=lambda: t[0]) as p:
            t[0] += 100.0
            p.update(10)
    assert not caplog.records  # --quiet: nothing at all


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_a_bar_only_on_a_terminal(monkeypatch):
    fake = _Tty()
    monkeypatch.setattr(sys, "stdout", fake)
    with logs.configured():
        with logs.progress(5, "field sweep (direct)", "field", delay=0.0) as p:
            assert p._bar is not None
            logging.getLogger("omm_fem.test").info("a line while the bar is drawn")
            p.update(5)
    text = fake.getvalue()
    assert "\rfield sweep (direct):   0%|" in text  # tqdm drew on the terminal
    # the bar is cleared before a log line and redrawn after it
    assert "\ra line while the bar is drawn\n\rfield sweep (direct):" in text
    assert text.rstrip("\n").endswith("field sweep (direct): 5/5 fields in 0.0 s")
    monkeypatch.setattr(sys, "stdout", io.StringIO())  # a file: lines, never a bar
    with logs.configured(), logs.progress(5, "x", delay=0.0) as p:
        assert p._bar is None


def test_validate_shows_one_line_per_case(tmp_path, capsys):
    assert main(["validate", "--quick", "--only", "invariants", "--out", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "[1/1] invariants ..."
    cases = [ln for ln in lines if ln.startswith("    ok   invariants.")]
    assert len(cases) >= 3 and all(re.search(r": error \S+ \(tolerance \S+\)$", c) for c in cases)
    assert re.fullmatch(rf"\[1/1\] invariants: {len(cases)} cases, all ok \(\d+\.\d s\)",
                        lines[len(cases) + 1])
    assert lines[-1].startswith(f"{len(cases)} cases, {len(cases)} passed, 0 failed")


def test_time_by_phase_and_peak_memory_in_results_and_summary(piped, tmp_path_factory):
    """results.json timing.phases holds the wall seconds of each phase (they add up to at
    most the total), and the summary's time line names them with the peak memory."""
    import json

    code, out, _ = piped
    assert code == 0
    outdir = next(p for p in tmp_path_factory.getbasetemp().glob("logs*/out"))
    timing = json.loads((outdir / "results.json").read_text())["timing"]
    phases = timing["phases"]
    assert list(phases) == ["mesh_s", "discretization_s", "charge_s", "omm_operator_s",
                            "measurements_s", "field_s", "sweep_s"]
    assert all(v >= 0 for v in phases.values())
    assert sum(phases.values()) <= timing["total_s"] * (1 + 1e-9)
    line = next(ln for ln in out.decode().splitlines() if ln.startswith("time: "))
    assert "(mesh " in line and "charge " in line and "sweep " in line
    assert line.endswith(f"peak memory {timing['peak_rss_MB'] * 1e6 / 2**20:.0f} MiB")

"""CSV tables of a run: measurements.csv (the run's field) and sweep.csv (one row per
field; a parameter sweep: per value and field), built from results.json's dict.

Numbers are written with Python's shortest round-trip repr (``0.1``, not
``0.10000000000000001``); an undefined value (rho of a transverse pair, rho* of an
in-plane-invariant direction) is an empty cell, which pandas reads as NaN. Column
names carry their units (``_T``, ``_ohm``, ``_deg``; rho and rho* are dimensionless).
"""
from __future__ import annotations

import math

TWO_TERMINAL = "two_terminal"


def _num(v):
    if v is None:
        return ""
    v = float(v)
    return "" if not math.isfinite(v) else repr(v)


def _csv(header, rows):
    for name in header:
        if "," in name or '"' in name:
            raise ValueError(f"column name {name!r} has a comma or quote")
    return "\n".join([",".join(header)] + [",".join(r) for r in rows]) + "\n"


def _name(text):
    """A CSV cell for a name: quoted when it holds a comma or a quote."""
    text = str(text)
    if any(c in text for c in ',"\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def parameter_column(path, unit):
    """The CSV column of a swept parameter: its path and unit (``material.tau_s``,
    ``material.D_m2_per_s``, ``material.X.zz_per_m_e``; none for alpha and scale)."""
    suffix = UNIT_SUFFIX.get(unit, unit.replace("1/", "per_").replace("/", "_per_"))
    return f"{path}_{suffix}" if suffix else path


UNIT_SUFFIX = {"1": "", "m^2/s": "m2_per_s", "m^2/(V s)": "m2_per_V_s"}


def _measurement_rows(results):
    B = results["field_T"]
    a, b = results["pair"]
    rows = [[TWO_TERMINAL, a, b, a, b, *map(_num, B), _num(results["resistance_ohm"]),
             _num(results["resistance0_ohm"]), _num(results["rho"])]]
    for name, m in results.get("measurements", {}).items():
        rows.append([_name(name), *map(_name, m["current"]), *map(_name, m["voltage"]),
                     *map(_num, B), _num(m["R_ohm"]), _num(m["R0_ohm"]), _num(m["rho"])])
    return rows


def measurements_table(results):
    """measurements.csv: one row per measurement at the run's field (two-terminal first);
    a parameter sweep has a row per value and measurement, the parameter first."""
    header = ["name", "current_from", "current_to", "voltage_plus", "voltage_minus",
              "Bx_T", "By_T", "Bz_T", "R_ohm", "R0_ohm", "rho"]
    ps = results.get("parameter_sweep")
    if ps is None:
        return _csv(header, _measurement_rows(results))
    rows = [[_num(p["value"])] + r for p in ps["points"] for r in _measurement_rows(p)]
    return _csv([parameter_column(ps["parameter"], ps["unit"])] + header, rows)


def sweep_table(results):
    """sweep.csv: one row per field of the sweep, a column group per measurement.

    Columns: the abscissa (``B_T``, or ``angle_deg`` and ``B_T`` for an angle sweep), the
    field vector, then ``NAME.R_ohm``, ``NAME.R0_ohm``, ``NAME.rho`` and (magnitude
    sweeps) ``NAME.rho_star`` for ``two_terminal`` and every measurement; where the run
    has a van der Pauw pair, ``van_der_pauw.sheet_resistance_ohm``.

    A parameter sweep has one row per (value, field), the parameter first
    (:func:`parameter_column`); without a field sweep one row per value at the run's field.
    """
    ps = results.get("parameter_sweep")
    if ps is None:
        cols = _sweep_columns(results)
        header = list(cols)
        return _csv(header, [[_num(cols[h][i]) for h in header]
                             for i in range(len(cols[header[0]]))])
    name = parameter_column(ps["parameter"], ps["unit"])
    header, rows = None, []
    for p in ps["points"]:
        cols = _sweep_columns(p) if "sweep" in p else _field_columns(p)
        n = len(next(iter(cols.values())))
        cols = {name: [p["value"]] * n, **cols}
        if header is None:
            header = list(cols)
        rows += [[_num(cols[h][i]) for h in header] for i in range(n)]
    return _csv(header, rows)


def _field_columns(results):
    """The columns of one row: a run's field and its measurements."""
    cols = {f"B{axis}_T": [results["field_T"][k]] for k, axis in enumerate("xyz")}
    groups = {TWO_TERMINAL: (results["resistance_ohm"], results["resistance0_ohm"],
                             results["rho"])}
    for name, m in results.get("measurements", {}).items():
        groups[name] = (m["R_ohm"], m["R0_ohm"], m["rho"])
    for name, (R, R0, rho) in groups.items():
        cols.update({f"{name}.R_ohm": [R], f"{name}.R0_ohm": [R0], f"{name}.rho": [rho]})
    if "van_der_pauw" in results:
        cols["van_der_pauw.sheet_resistance_ohm"] = [results["van_der_pauw"]
                                                     ["sheet_resistance_ohm"]]
    return cols


def _sweep_columns(results):
    sw = results["sweep"]
    F = sw["fields_T"]
    n = len(F)
    cols = {}
    if sw["kind"] == "angle":
        cols["angle_deg"] = sw["angle_deg"]
        cols["B_T"] = [sw["B_T"]] * n
    else:
        cols["B_T"] = sw["B_T"]
    for k, axis in enumerate("xyz"):
        cols[f"B{axis}_T"] = [f[k] for f in F]
    groups = {TWO_TERMINAL: {"R_ohm": sw["resistance_ohm"], "rho": sw["rho"],
                             "rho_star": sw.get("rho_star"),
                             "R0": results["resistance0_ohm"]}}
    for name, m in sw.get("measurements", {}).items():
        groups[name] = {"R_ohm": m["R_ohm"], "rho": m["rho"], "rho_star": m.get("rho_star"),
                        "R0": results["measurements"][name]["R0_ohm"]}
    for name, g in groups.items():
        cols[f"{name}.R_ohm"] = g["R_ohm"]
        cols[f"{name}.R0_ohm"] = [g["R0"]] * n
        cols[f"{name}.rho"] = g["rho"]
        if sw["kind"] == "magnitude":
            cols[f"{name}.rho_star"] = g["rho_star"] if g["rho_star"] is not None else [None] * n
    if "van_der_pauw" in sw:
        cols["van_der_pauw.sheet_resistance_ohm"] = sw["van_der_pauw"]["sheet_resistance_ohm"]
    return cols

"""van der Pauw sheet resistance from the two van der Pauw configurations of a run.

A sample is a van der Pauw sample when it is simply connected (one piece, one
boundary loop) and its contacts are four terminals A, B, C, D, in this order
along the boundary. Its two resistances ``R_AB,CD = (V_D - V_C) / I_AB`` and
``R_BC,DA = (V_A - V_D) / I_BC`` (current into the first contact of the pair,
out of the second) fix the sheet resistance R_s by the van der Pauw equation

    exp(-pi R_AB,CD / R_s) + exp(-pi R_BC,DA / R_s) = 1,

solved with :func:`scipy.optimize.brentq`. The two configurations are found
among the ``[[measure]]`` entries: two four-terminal measurements on the same
four terminals whose current and voltage pairs are neighbours along the
boundary, one pair rotated by one terminal with respect to the other. The
sign of each measured R (it depends on the order of the voltage terminals) is
set by the cyclic order, so that both enter the equation as van der Pauw's
positive resistances.

The theorem holds for point contacts on the boundary. A contact at the end of
an arm (a Greek cross) is equivalent to one up to the field that leaks into the
floating arm, which decays like exp(-2 pi L_arm / W_arm) for the arm's symmetric
modes. ``sheet_resistance0_ohm`` (from R0, the alpha^0 resistances) is
1/sigma of a uniform sample at any field; ``sheet_resistance_ohm`` includes the
O(alpha^2) orbital corrections of R and is the value a lab's van der Pauw
evaluation would report.
"""
from __future__ import annotations

import logging
import math

import numpy as np
from scipy.optimize import brentq
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

log = logging.getLogger(__name__)
NOTE = ("R_s from exp(-pi R_AB,CD/R_s) + exp(-pi R_BC,DA/R_s) = 1 (brentq); "
        "sheet_resistance0_ohm from the alpha^0 resistances R0")


def sheet_resistance(R1, R2):
    """R_s [Ohm] of the van der Pauw equation for R1 = R_AB,CD, R2 = R_BC,DA [Ohm].

    Returns None unless both are finite and positive (no solution otherwise).
    The root is found in x = pi R_mean / R_s, bracketed by ln 2 R_mean / max(R)
    and ln 2 R_mean / min(R) (where one exponential is 1/2), to a relative
    tolerance of 4 machine epsilons.
    """
    R1, R2 = float(R1), float(R2)
    if not (math.isfinite(R1) and math.isfinite(R2) and R1 > 0 and R2 > 0):
        return None
    mean = 0.5 * (R1 + R2)
    a, b = R1 / mean, R2 / mean

    def f(x):
        return math.exp(-a * x) + math.exp(-b * x) - 1.0

    lo, hi = math.log(2.0) / max(a, b), math.log(2.0) / min(a, b)
    x = lo if lo == hi else brentq(f, lo, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps)
    return math.pi * mean / x


def boundary_order(mesh, names):
    """The terminals ``names`` in their order along the boundary of a simply connected
    mesh, or (None, reason) when the sample is not one or a terminal is not one arc.

    Returns
    -------
    (list of str or None, str or None)
    """
    t, nv = mesh.t, mesh.p.shape[1]
    graph = coo_matrix((np.ones(3 * t.shape[1]), (t.ravel(), np.roll(t, 1, axis=0).ravel())),
                       shape=(nv, nv))
    if connected_components(graph, directed=False)[0] != 1:
        return None, "the sample is not one connected piece"
    facets = mesh.boundary_facets()
    ends = mesh.facets[:, facets]
    loops, _ = connected_components(coo_matrix((np.ones(facets.size), (ends[0], ends[1])),
                                               shape=(nv, nv)), directed=False)
    if loops - (nv - np.unique(ends).size) != 1:  # components of the boundary graph
        return None, "the sample has holes (more than one boundary loop): not simply connected"
    label = {}
    for name in names:
        for f in mesh.boundaries.get(name, []):
            label[int(f)] = name
    # walk the loop from a facet, vertex to vertex
    at = {}
    for k, (i, j) in enumerate(ends.T):
        at.setdefault(int(i), []).append(k)
        at.setdefault(int(j), []).append(k)
    seq, k, v = [], 0, int(ends[0, 0])
    for _ in range(facets.size):
        seq.append(label.get(int(facets[k])))
        v = int(ends[1, k]) if int(ends[0, k]) == v else int(ends[0, k])
        k = next(m for m in at[v] if m != k)
    runs = [s for i, s in enumerate(seq) if s is not None and s != seq[i - 1]]
    if sorted(runs) != sorted(names):
        return None, "a terminal is not one arc of the boundary"
    return runs, None


def _oriented(meas, order):
    """(partition key, sign) of a four-terminal measurement with neighbouring pairs, else None."""
    x, y = meas.current
    p, q = meas.voltage
    if len({x, y, p, q}) != 4:
        return None
    pos = {n: i for i, n in enumerate(order)}
    if (pos[x] - pos[y]) % 4 not in (1, 3):
        return None  # a diagonal current pair (Hall) or an unknown terminal
    u = order[(2 * pos[x] - pos[y]) % 4]  # the neighbour of x that is not y
    v = order[(2 * pos[y] - pos[x]) % 4]
    if {u, v} != {p, q}:
        return None
    return frozenset((frozenset((x, y)), frozenset((u, v)))), (1.0 if (p, q) == (u, v) else -1.0)


def find_configurations(mesh, contacts, measurements):
    """The first two measurements that are a van der Pauw pair.

    Parameters
    ----------
    mesh : skfem.MeshTri
    contacts : sequence of str
        Every contact of the device (all must be among the four terminals).
    measurements : sequence of Measurement

    Returns
    -------
    dict or None
        ``names`` (R_AB,CD, R_BC,DA), ``signs`` (+1 or -1: the measured R times it is
        van der Pauw's positive resistance) and ``order`` (the terminals along the
        boundary); None when there is no such pair (the reason is logged at INFO).
    """
    ms = list(measurements)
    for i, m1 in enumerate(ms):
        four = set(m1.current) | set(m1.voltage)
        if len(four) != 4:
            continue
        for m2 in ms[i + 1:]:
            if set(m2.current) | set(m2.voltage) != four:
                continue
            order, reason = boundary_order(mesh, sorted(four))
            if reason is None and not set(contacts) <= four:
                reason = (f"the device has other contacts ({sorted(set(contacts) - four)}), "
                          "which short the boundary")
            if reason is not None:
                log.info("measurements %r and %r: no van der Pauw sheet resistance: %s",
                         m1.name, m2.name, reason)
                break  # the same for every pair on these four terminals
            got = [_oriented(m, order) for m in (m1, m2)]
            if None in got or got[0][0] == got[1][0]:
                continue  # not the two neighbouring configurations
            return {"names": (m1.name, m2.name), "order": order,
                    "signs": (got[0][1], got[1][1])}
    return None


def vdp_entry(config, R, R0):
    """The results.json entry for measured resistances R = {name: R_ohm}, R0 likewise."""
    a, b = config["names"]
    out = {"R_AB,CD": a, "R_BC,DA": b, "order": list(config["order"])}
    s1, s2 = config["signs"]
    return {**out, "R_AB,CD_ohm": s1 * R[a], "R_BC,DA_ohm": s2 * R[b],
            "sheet_resistance_ohm": sheet_resistance(s1 * R[a], s2 * R[b]),
            "sheet_resistance0_ohm": sheet_resistance(s1 * R0[a], s2 * R0[b]), "note": NOTE}


def vdp_sweep(config, R):
    """R_s(B) [Ohm] (None where undefined) from per-field resistances R = {name: list}."""
    a, b = config["names"]
    s1, s2 = config["signs"]
    return [sheet_resistance(s1 * r1, s2 * r2) for r1, r2 in zip(R[a], R[b])]


def add_van_der_pauw(results, mesh, contacts, measurements):
    """Add ``van_der_pauw`` to results (and to its ``sweep``) where the run has a pair."""
    config = find_configurations(mesh, contacts, measurements)
    if config is None:
        return
    ms = results["measurements"]
    results["van_der_pauw"] = vdp_entry(config, {n: m["R_ohm"] for n, m in ms.items()},
                                        {n: m["R0_ohm"] for n, m in ms.items()})
    sw = results.get("sweep", {}).get("measurements")
    if sw:
        results["sweep"]["van_der_pauw"] = {
            "sheet_resistance_ohm": vdp_sweep(config, {n: m["R_ohm"] for n, m in sw.items()})}


def summary_line(entry, sweep=None):
    """The printed summary's line: R_s at the run's field and its range over a sweep
    (``sweep``: the ``van_der_pauw`` entry of results["sweep"])."""
    head = f"van der Pauw ({entry['R_AB,CD']}, {entry['R_BC,DA']}): "
    if entry["sheet_resistance_ohm"] is None:
        return head + "no sheet resistance (a resistance is not positive)"
    r0 = entry.get("sheet_resistance0_ohm")
    text = (head + f"R_AB,CD = {entry['R_AB,CD_ohm']:.8g} Ohm, R_BC,DA = "
            f"{entry['R_BC,DA_ohm']:.8g} Ohm, sheet resistance R_s = "
            f"{entry['sheet_resistance_ohm']:.8g} Ohm"
            + ("" if r0 is None else f" (alpha^0: {r0:.8g} Ohm)"))
    got = [v for v in (sweep or {}).get("sheet_resistance_ohm", []) if v is not None]
    if got:
        text += f"; over the sweep R_s = {min(got):.8g} .. {max(got):.8g} Ohm"
    return text

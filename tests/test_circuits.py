"""Every measurement with its own drive (omm_fem.circuits): van der Pauw, Hall and
reciprocal pairs from one call on the irregular cross mesh, equal to dedicated runs;
the Onsager-type reciprocity R_ij,kl(B) = R_kl,ij(-B) (docs/SPEC.md §5) to rounding,
and where it fails (drift; an X that mixes z with the plane)."""
from pathlib import Path

import numpy as np
import pytest

import omm_fem as om
from omm_fem.errors import OmmError

MESH_PATH = Path(__file__).resolve().parents[1] / "meshes" / "cross.msh"
MESH = om.load_mesh(MESH_PATH)
CONTACTS = ("c1", "c2", "c3", "c4")  # consecutive around the cross
M = om.Measurement
VDP = [M("vdp_12_34", ("c1", "c2"), ("c3", "c4")), M("vdp_23_41", ("c2", "c3"), ("c4", "c1")),
       M("hall_13_24", ("c1", "c3"), ("c2", "c4")), M("vdp_34_12", ("c3", "c4"), ("c1", "c2"))]
B = [1.0, 0.5, 0.7]


def _material(X=((24.4, 0, 0), (0, 30.0, 0), (0, 0, 2.44)), mobility=0.0):
    return om.Material.from_units(D=1e-2, tau=1e-12, alpha=0.05, sigma=1.6e-3,
                                  mobility=mobility, X=np.array(X), X_unit="1/m_e")


def _problem(pair, B, material=None, drift=False):
    a, b = pair
    cs = [om.Contact(a, current=1e-6), om.Contact(b, voltage=0.0)]
    cs += [om.Contact(c, current=0.0) for c in CONTACTS if c not in pair]
    return om.Problem(mesh=MESH, materials=material or _material(), contacts=cs, B=B, order=1,
                      drift=drift)


@pytest.mark.parametrize("drift", [False, True])
def test_one_call_equals_dedicated_runs(drift):
    mat = _material(mobility=1.0 if drift else 0.0)
    one = om.solve(_problem(("c1", "c3"), B, mat, drift), measurements=VDP)
    for m in VDP:
        own = om.solve(_problem(m.current, B, mat, drift), measurements=[m])
        # the same arithmetic on shared factorisations: equal to rounding
        assert one.resistance(m.name) == pytest.approx(own.resistance(m.name), rel=1e-10,
                                                       abs=1e-10 * abs(own.resistance0(m.name)))
    R1, R2 = one.resistance("vdp_12_34"), one.resistance("vdp_23_41")
    assert R1 < 0 and R2 < 0 and np.isfinite(one.resistance("hall_13_24"))


def test_sweep_gives_each_measurement_its_own_drive():
    fields = np.outer([0.0, 1.0, 2.5], [1.0, 0.5, 0.7])
    sw = om.sweep(_problem(("c1", "c3"), B), fields=fields, measurements=VDP[:2], method="direct",
                  executor=False)
    for k, Bk in enumerate(fields):
        one = om.solve(_problem(("c1", "c2"), Bk), measurements=[VDP[0]])
        assert sw.resistance("vdp_12_34")[k] == pytest.approx(one.resistance("vdp_12_34"),
                                                              rel=1e-10)


def _reciprocity(material=None, drift=False):
    """Relative gap of the O(alpha^2) parts, |rho_12,34(B) - rho_34,12(-B)| / |rho_12,34(B)|
    (R0 is reciprocal exactly: the charge stiffness is symmetric; rho = dV/V0 - dI/I0 is
    computed without the cancellation of R - R0), and the same-pair change between B and
    -B (that the relation is not trivial)."""
    p = om.solve(_problem(("c1", "c3"), B, material, drift), measurements=VDP)
    q = om.solve(_problem(("c1", "c3"), [-b for b in B], material, drift), measurements=VDP)
    assert p.resistance0("vdp_12_34") == pytest.approx(q.resistance0("vdp_34_12"), rel=1e-12)
    r = p.rho("vdp_12_34")
    return abs(r - q.rho("vdp_34_12")) / abs(r), abs(r - q.rho("vdp_12_34")) / abs(r)


def test_reciprocity_holds_to_rounding_without_drift():
    gap, odd = _reciprocity()  # anisotropic X (X_xx != X_yy != X_zz), tilted field
    # rounding: the solves' ~1e-14 relative, times the graded mesh's conditioning (~1e5),
    # on the O(alpha^2) part directly (measured 6e-10)
    assert gap < 1e-8, gap
    # with e_z an eigenvector of X the n^z response is also even in B (SPEC §5), so here
    # the relation is the symmetry R_ij,kl = R_kl,ij at every field
    assert odd < 1e-8, odd


def test_reciprocity_fails_where_the_derivation_says():
    gap, _ = _reciprocity(_material(mobility=1.0), drift=True)
    assert gap > 1e-6, gap  # drift: the OMM operator depends on the drive
    gap, odd = _reciprocity(_material(X=((24.4, 0, 3.0), (0, 30.0, 0), (3.0, 0, 2.44))))
    assert gap > 1e-3 and odd > 1e-3, (gap, odd)  # X_xz != 0: e_z is not an eigenvector of X


def test_a_pair_that_cannot_be_driven_is_a_clear_error():
    m = M("bad", ("c1", "edge"), ("c2", "c4"))
    with pytest.raises(OmmError, match="'edge' is not a contact"):
        om.solve(_problem(("c1", "c3"), B), measurements=[m])


CROSS_RUN = """
[geometry]
kind = "mesh"
file = "{mesh}"
[mesh]
order = 1
[material]
D = 1.0e-2
tau = 1.0e-12
alpha = 0.05
sigma = 1.6e-3
X = [[24.4, 0.0, 0.0], [0.0, 30.0, 0.0], [0.0, 0.0, 2.44]]
X_unit = "1/m_e"
[field]
B = [1.0, 0.5, 0.7]
[sweep]
B_T = [0.0, 1.0, 2.5]
direction = [1.0, 0.5, 0.7]
method = "direct"
[contacts.c1]
current = 1.0e-6
[contacts.c3]
voltage = 0.0
[contacts.c2]
current = 0.0
[contacts.c4]
current = 0.0
[solver]
drift = false
[[measure]]
name = "vdp_12_34"
current = ["c1", "c2"]
voltage = ["c3", "c4"]
[[measure]]
name = "hall_13_24"
current = ["c1", "c3"]
voltage = ["c2", "c4"]
"""


def test_a_configured_run_measures_each_pair_with_its_own_drive(tmp_path):
    import json

    from omm_fem.cli import main

    cfg = tmp_path / "cross.toml"
    cfg.write_text(CROSS_RUN.format(mesh=MESH_PATH))
    assert main(["run", str(cfg), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    res = json.loads((tmp_path / "out" / "results.json").read_text())
    vdp = res["measurements"]["vdp_12_34"]
    assert vdp["drive"] == "own pair, other contacts floating"
    assert "drive" not in res["measurements"]["hall_13_24"]  # the run's own drive
    own = om.solve(_problem(("c1", "c2"), B), measurements=[VDP[0]])
    assert vdp["R_ohm"] == pytest.approx(own.resistance("vdp_12_34"), rel=1e-10)
    u = np.array(B) / np.linalg.norm(B)
    for k, b in enumerate([0.0, 1.0, 2.5]):
        one = om.solve(_problem(("c1", "c2"), b * u), measurements=[VDP[0]])
        assert res["sweep"]["measurements"]["vdp_12_34"]["R_ohm"][k] == pytest.approx(
            one.resistance("vdp_12_34"), rel=1e-10)

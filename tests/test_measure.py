"""Terminal responses: the precomputed first-order maps reproduce the full correction solve."""
import numpy as np
import pytest
from conftest import LM, field_for_phi, strip_material, strip_problem

from omm_fem.errors import OmmError
from omm_fem.measure import Measurement, Terminals
from omm_fem.problem import Contact, Problem
from omm_fem.steady import Pipeline


@pytest.mark.parametrize("drive", ["current", "voltage"])
def test_linear_response_equals_full_correction(drive):
    mat = strip_material(0.3)
    B = field_for_phi(mat, 2.0)
    pb = strip_problem(mat, [B, 0, 0], width=3 * LM, length=6 * LM, edge_size=LM / 6,
                       size=LM / 2, omm="sink", drift=True, current=1e-4)
    if drive == "voltage":
        pb = Problem(mesh=pb.mesh, materials=mat, B=pb.B, drift=True,
                     contacts=[Contact("source", voltage=0.1), Contact("drain", voltage=0.0)])
    pipe = Pipeline(pb)
    T = Terminals(pipe, probes=["edge"])
    for field in ([B, 0, 0], [0.2 * B, -0.7 * B, 0.1 * B]):
        sol = pipe.at_field(field)
        r = T.response(sol.n[2] / pipe.disc.units.density)
        V = np.array([sol.voltages[c] for c in T.contacts])
        I = np.array([sol.currents[c] for c in T.contacts])
        np.testing.assert_allclose(r["V"][0], V, rtol=1e-12, atol=1e-14 * np.abs(V).max())
        np.testing.assert_allclose(r["I"][0], I, rtol=1e-9, atol=1e-12 * np.abs(I).max())
        assert r["P"][0, 0] == pytest.approx(T.wp[:, 0] @ sol.phi, rel=1e-12)
        R, R0, rho = T.resistance(r, T.zeroth_order(), Measurement("m", ("source", "drain"),
                                                                   ("source", "drain")))
        tt = pipe.two_terminal(sol)
        assert R[0] == pytest.approx(tt["resistance_ohm"], rel=1e-12)
        assert rho[0] == pytest.approx(tt["rho"], rel=1e-9)


def test_measurement_validation():
    with pytest.raises(OmmError, match="measure.m.voltage"):
        Measurement("m", ("a", "b"), ("p",))
    with pytest.raises(OmmError, match="measure.m.current"):
        Measurement("m", ("a", "a"), ("p", "q"))

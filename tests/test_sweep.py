"""Field sweeps: rho(B), rho*(B) against the strip formula; rho(inf) and when rho* is undefined."""
import numpy as np
import pytest
from conftest import LM, strip_material

from omm_fem.config import parse_config
from omm_fem.material import cross_matrix
from omm_fem.problem import boundary_layer_length
from omm_fem.run import run
from omm_fem.sweep import rho_infinity_factor, rho_star


def strip_config(theta=0.2, B_max=8.0, num=9, order=2, direction=(1.0, 0.0, 0.0)):
    return {
        "geometry": {"kind": "rectangle", "length": 0.3 * LM, "width": 4 * LM},
        "mesh": {"order": order},
        "material": {"D": 1e-2, "tau": 1e-12, "alpha": 0.05, "sigma": 1.6e-3, "mobility": 1.0,
                     "X": [[24.4, 0, 0], [0, 24.4, 0], [0, 0, 24.4 * theta]], "X_unit": "1/m_e"},
        "field": {"B": [1.0, 0.0, 0.0]},
        "sweep": {"B_T": {"start": 0.0, "stop": B_max, "num": num}, "direction": list(direction)},
        "contacts": {"source": {"current": 1e-6, "omm": "reflecting"},
                     "drain": {"voltage": 0.0, "omm": "reflecting"}},
        "solver": {"drift": False},
    }


def test_edge_size_is_chosen_from_the_largest_sweep_field():
    spec = parse_config(strip_config(B_max=20.0))
    mat = spec.materials["all"]
    ell_all = boundary_layer_length([mat], spec.all_fields())
    ell_B = boundary_layer_length([mat], [spec.B])
    assert ell_all < 0.6 * ell_B  # the sweep reaches much larger fields than field.B
    assert spec.resolved["edge_size_m"] == pytest.approx(ell_all / 8, rel=1e-12)


def test_sweep_matches_the_strip_formula():
    res = run(parse_config(strip_config()), progress=False)
    sw = res.results["sweep"]
    # the mesh resolves the largest field (auto edge_size), so every point meets the strip tolerance
    np.testing.assert_allclose(sw["rho"], sw["strip"]["rho"], rtol=2e-5)
    np.testing.assert_allclose(sw["rho_star"], sw["strip"]["rho_star"], atol=1e-4)
    assert sw["rho_star"][0] == 0.0 and sw["rho_inf"] == 0.0
    assert np.all(np.diff(sw["rho_star"]) > 0)


@pytest.mark.parametrize("direction", [(1, 0, 0), (0.3, -0.9, 0), (0.6, 0.0, 0.8), (0, 0, 1)])
@pytest.mark.parametrize("X", [np.diag([1.0, 1.0, 0.2]), np.array([[1.0, 0.2, 0.1], [0.2, 0.7, 0.0],
                                                                    [0.1, 0.0, 0.4]])])
def test_rho_infinity_factor_is_the_large_field_limit(direction, X):
    # uniform medium: n_z / n_z(B=0) = s e_z.(s I + B Omega_u)^{-1} e_z with s = 1/tau; as B -> inf
    # it tends to kappa (this checks the adj(X) formula independently of the FEM)
    class M:
        pass

    mat = M()
    mat.X = X
    u = np.asarray(direction, float) / np.linalg.norm(direction)
    kappa = rho_infinity_factor([mat], u)
    Om = cross_matrix(u) @ X
    big = 1e9
    lim = np.linalg.solve(np.eye(3) + big * Om, np.eye(3)[2])[2]
    assert kappa == pytest.approx(lim, abs=1e-6)
    if u[2] == 0:
        assert kappa == 0.0


def test_rho_star_undefined_cases():
    flat = strip_material(0.0)  # X_zz = 0: an in-plane field cannot dephase n^z
    assert rho_infinity_factor([flat], [1, 0, 0]) is None
    vals, why = rho_star([1.0, 2.0], 1.0, None)
    assert vals is None and "undefined" in why
    vals, why = rho_star([1.0, 2.0], 1.0, 1.0)  # field along z: rho(inf) = rho(0)
    assert vals is None and "does not precess" in why
    vals, why = rho_star([0.0], 0.0, 0.0)  # alpha = 0
    assert vals is None and "alpha = 0" in why


def test_sweep_along_z_reports_undefined_rho_star():
    res = run(parse_config(strip_config(direction=(0, 0, 1), num=3, B_max=5.0)), progress=False)
    sw = res.results["sweep"]
    assert sw["rho_star"] is None and "does not precess" in sw["rho_star_note"]
    np.testing.assert_allclose(sw["rho"], sw["rho0"], rtol=1e-10)
    assert "strip" not in sw  # the strip formula is for in-plane fields along x only

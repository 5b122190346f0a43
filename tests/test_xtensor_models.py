"""User-defined models, finite differences, stacks and degeneracies (issue 5)."""
import math

import numpy as np
import pytest

from omm_fem.errors import OmmError
from omm_fem.units import EV, K_B
from omm_fem.xtensor import Multilayer, bilayer_graphene, graphene_multilayer, inverse_mass_tensor, scan_mu
from omm_fem.xtensor.bz import refinement_frame
from omm_fem.xtensor.integrate import Engine
from omm_fem.xtensor.tensor import PER_KG


class SquareLayer:
    """The recipe of the package docstring: one orbital on a square lattice."""

    a = 3.0e-10
    lattice = np.array([[a, 0.0], [0.0, a]])
    t, t_perp = -1.0, -0.1

    def h(self, k):
        c = np.cos(k[:, 0] * self.a) + np.cos(k[:, 1] * self.a)
        return (2.0 * self.t * c)[:, None, None].astype(complex)

    def gamma(self, k):
        return np.full((len(k), 1, 1), self.t_perp, dtype=complex)


def test_user_recipe_against_closed_form():
    """Square-lattice bilayer, bands e(k) +- R with R = sqrt(V^2 + t_perp^2):
    X_zz = (d^2/hbar^2)(t_perp^2/R) <f(e-R) - f(e+R)> and
    X_xx = (1/hbar^2) <sum (-f') (2 t a sin k_x a)^2>, integrated independently on
    a uniform 600 x 600 grid (spectrally accurate at 1000 K)."""
    layer, d, V, mu, T = SquareLayer(), 3.4e-10, 0.05, -1.0, 1000.0
    model = Multilayer.from_layer(layer, layers=2, spacing=d, potentials=(V, -V))
    p = inverse_mass_tensor(model, mu=mu, T=T, tol=1e-7)
    assert p.converged
    n = 600
    ka = 2 * np.pi * (np.arange(n) / n)
    kx, ky = np.meshgrid(ka, ka, indexing="ij")
    e = 2 * layer.t * (np.cos(kx) + np.cos(ky))
    R = math.hypot(V, layer.t_perp)
    kT = K_B * T / EV
    f = lambda x: 0.5 * (1 - np.tanh((x - mu) / (2 * kT)))  # noqa: E731
    mfp = lambda x: f(x) * (1 - f(x)) / kT  # noqa: E731
    xzz = d**2 * layer.t_perp**2 / R * np.mean(f(e - R) - f(e + R)) * PER_KG
    vx2 = (2 * layer.t * layer.a * np.sin(kx)) ** 2
    xxx = np.mean((mfp(e - R) + mfp(e + R)) * vx2) * PER_KG
    assert p.X[2, 2] == pytest.approx(xzz, rel=1e-6)
    assert p.X[0, 0] == pytest.approx(xxx, rel=1e-6)
    assert p.X[1, 1] == pytest.approx(xxx, rel=1e-6)  # C4


def test_nearest_neighbour_drude_identity():
    """For a cosine band d^2e/dk_x^2 = -a^2 e_x, so Eq. (12) equals
    -(a^2/hbar^2) <sum f e_x>: a Fermi-sea operator average (user operator,
    callable) against the Fermi-surface form, on the same grid."""
    layer = SquareLayer()
    model = Multilayer.from_layer(layer, layers=2, spacing=3.4e-10, potentials=(0.05, -0.05))

    def e_x(k):
        val = 2 * layer.t * np.cos(k[:, 0] * layer.a)
        return val[:, None, None] * np.eye(2)

    p = inverse_mass_tensor(model, mu=-0.7, T=1000.0, nk=224, operators={"e_x": e_x})
    assert p.rel_error < 1e-7
    drude = -layer.a**2 * p.expectations["e_x"] * PER_KG
    assert p.X[0, 0] == pytest.approx(drude, rel=1e-6)


def test_finite_differences_match_analytic_derivatives():
    """Fourth-order finite differences (user path) vs the analytic graphene
    derivatives: errors ~1e-12 (first) and ~1e-9 (second) of the matrix scale."""
    ref = bilayer_graphene(V=0.1)
    fd = Multilayer(lattice=ref.lattice, h=ref.h, gammas=ref.gammas, potentials=ref.potentials,
                    spacing=ref.spacing)
    k = np.random.default_rng(1).uniform(-3e10, 3e10, size=(20, 2))
    d1, d1_fd = ref.dhamiltonian(k), fd.dhamiltonian(k)
    d2, d2_fd = ref.d2hamiltonian(k), fd.d2hamiltonian(k)
    assert np.abs(d1 - d1_fd).max() <= 1e-9 * np.abs(d1).max()
    assert np.abs(d2 - d2_fd).max() <= 1e-6 * np.abs(d2).max()


def _strained(eta=0.1, g3=-0.3):
    """Bilayer with a stretched bond (C3 broken, mirror x -> -x kept) and a
    k-dependent skew hopping gamma3 A1-B2 (in-plane bond vectors -delta_n)."""
    acc = 1.42e-10
    a = math.sqrt(3) * acc
    delta = acc * np.array([[0, 1], [math.sqrt(3) / 2, -0.5], [-math.sqrt(3) / 2, -0.5]])
    s = np.array([1.0 + eta, 1.0, 1.0])

    def f(k):
        return (np.exp(1j * k @ delta.T) * s).sum(axis=1)

    def h(k):
        out = np.zeros((len(k), 2, 2), complex)
        out[:, 0, 1] = 3.16 * f(k)
        out[:, 1, 0] = np.conj(out[:, 0, 1])
        return out

    def gamma(k):
        out = np.zeros((len(k), 2, 2), complex)
        out[:, 0, 1] = -0.38
        out[:, 1, 0] = g3 * f(k)
        return out

    lat = np.array([[a, 0.0], [a / 2, a * math.sqrt(3) / 2]])
    return Multilayer(lattice=lat, h=h, gammas=[gamma], potentials=(0.1, -0.1), spacing=3.35e-10)


def test_mixed_components_eq15_vs_double_commutator():
    """With a k-dependent Gamma and broken C3, X_zy != 0: Eq. (15) (blocks, with
    the factor i restored) equals -<[r_z,[r_y,H]]>/hbar^2 from the full H and the
    layer positions (same grid: rounding-level, 1e-9 of X_zy); the mirror
    x -> -x forces X_zx = 0; X_xx != X_yy well beyond the tolerance (the C3
    test can fail)."""
    p = inverse_mass_tensor(_strained(), mu=0.3, T=600.0, nk=112, checks=True)
    xzy = p.X[2, 1]
    assert abs(xzy) > 1e-2 * p.X[2, 2]
    assert p.checks["za_double_commutator"][1] == pytest.approx(xzy, rel=1e-9)
    assert abs(p.X[2, 0]) <= np.abs(p.error).max() + 1e-9 * abs(xzy)  # grid is not mirror-symmetric
    assert abs(p.X[0, 0] - p.X[1, 1]) > 100 * np.abs(p.error).max()
    assert p.checks["zz_double_commutator"] == pytest.approx(p.X[2, 2], rel=1e-12)
    diff = np.abs(p.X[:2, :2] - p.checks["inplane_band_curvature"]).max()
    assert diff <= np.abs(p.error).max()


def test_interlayer_blocks_vs_full_matrices():
    """The blockwise expectations used by the engine equal those of the full
    J_+ and i dJ_-/dk matrices (Eq. 11), eigenvector by eigenvector."""
    model = _strained()
    k = np.random.default_rng(2).uniform(-2e10, 2e10, size=(7, 2))
    _, U = np.linalg.eigh(model.hamiltonian(k))
    full_p = np.einsum("kin,kij,kjn->kn", U.conj(), model.interlayer(k), U).real
    full_m = np.einsum("kin,kaij,kjn->kan", U.conj(), 1j * model.dinterlayer_minus(k), U)
    assert np.allclose(model.interlayer_expectation(k, U), full_p, rtol=0, atol=1e-13)
    assert np.abs(full_m.imag).max() < 1e-20  # i dJ_-/dk is Hermitian
    assert np.allclose(model.dinterlayer_expectation(k, U), full_m.real, rtol=0, atol=1e-22)


def test_aba_trilayer_decomposes():
    """ABA trilayer at V = 0 splits exactly into monolayer graphene plus a bilayer
    with gamma1 -> sqrt(2) gamma1 (mirror-odd and -even combinations of layers 1
    and 3): at every k the eigenvalues are the union, so on the same grid the
    in-plane X adds up to rounding (1e-12). At K the trilayer has a threefold
    degeneracy at e = 0 (monolayer Dirac point); the sums only agree if the
    velocities there do not depend on the arbitrary eigenbasis (ring averaging),
    and mu = 0 puts thermal weight on it."""
    mus = [0.0, 0.4, 0.8]
    tri = scan_mu(graphene_multilayer(3, "ABA"), mus, T=600.0, nk=224)
    mono = scan_mu(graphene_multilayer(1), mus, T=600.0, nk=224)
    bi = scan_mu(graphene_multilayer(2, gamma1=-0.38 * math.sqrt(2)), mus, T=600.0, nk=224)
    for t, m, b in zip(tri.points, mono.points, bi.points):
        assert np.abs(t.X[:2, :2] - m.X[:2, :2] - b.X[:2, :2]).max() <= 1e-12 * t.X[0, 0]
        assert t.n_electrons == pytest.approx(m.n_electrons + b.n_electrons, rel=1e-12)
        assert m.X[2, 2] == 0.0  # one layer: no interlayer hopping


def test_degenerate_point_velocity_average():
    """Exactly at the Dirac point of monolayer graphene the band velocities are
    undefined; the grid point is replaced by a ring of 8 neighbours, giving the
    directional average sum_bands d_a e d_b e = (hbar v)^2 delta_ab with
    hbar v = 3 a_cc |gamma0| / 2 (the trigonal correction cancels on the ring;
    second-order terms ~ (eta a)^2 ~ 1e-6)."""
    model = graphene_multilayer(1)
    eng = Engine(model, kT=0.025, refine=0.6)
    K, _ = refinement_frame(model.reciprocal)
    out = eng._states(K[None], np.ones(1), np.zeros((1, 2, 2)))
    assert out["energy"].shape == (8, 2)  # the point became a ring
    fs = np.einsum("kn,knc->c", out["w"], out["fs"])
    hv = 1.5 * 1.42e-10 * 3.16
    assert fs == pytest.approx([hv**2, 0.0, hv**2], rel=1e-5, abs=1e-5 * hv**2)


@pytest.mark.parametrize("stacking", ["ABA", "ABC"])
def test_trilayer_symmetry_and_forms(stacking):
    """N = 3 stacks: C3 (X_xx = X_yy, no off-diagonals), FS vs band curvature,
    X_zz vs the double commutator; V = 0.1 eV splits the layers. Biased ABA keeps
    a Dirac point at e = 0 at K, where the band-curvature integrand is not smooth
    and converges slowly; mu = 0.8 eV keeps it ~15 k_B T below the thermal shell."""
    p = inverse_mass_tensor(graphene_multilayer(3, stacking, V=0.1), mu=0.8, T=600.0, nk=112, checks=True)
    scale, err = np.abs(p.X).max(), np.abs(p.error).max()
    assert abs(p.X[0, 0] - p.X[1, 1]) <= err + 1e-12 * scale
    assert np.abs(p.X[~np.eye(3, dtype=bool)]).max() <= err + 1e-12 * scale
    assert np.abs(p.X[:2, :2] - p.checks["inplane_band_curvature"]).max() <= err
    assert p.checks["zz_double_commutator"] == pytest.approx(p.X[2, 2], rel=1e-12)
    assert p.X[2, 2] > 0


def test_stacking_blocks():
    """ABA dimers alternate (B1-A2, then A2-B3); ABC repeats B_l-A_{l+1}."""
    k = np.zeros((1, 2))
    aba = graphene_multilayer(3, "ABA").hamiltonian(k)[0]
    abc = graphene_multilayer(3, "ABC").hamiltonian(k)[0]
    g1 = -0.38
    # basis: A1 B1 A2 B2 A3 B3
    assert aba[2, 1] == g1 and aba[5, 2] == g1 and aba[4, 3] == 0
    assert abc[2, 1] == g1 and abc[4, 3] == g1 and abc[5, 2] == 0
    pots = np.diag(graphene_multilayer(3, V=0.2).hamiltonian(k)[0]).real
    assert np.allclose(pots, [0.2, 0.2, 0.0, 0.0, -0.2, -0.2])


class _Bad(SquareLayer):
    def h(self, k):
        out = np.zeros((len(k), 2, 2), complex)
        out[:, 0, 1] = 1.0  # no Hermitian partner
        return out

    def gamma(self, k):
        return np.zeros((len(k), 2, 2), complex)


def test_non_hermitian_user_model_raises():
    with pytest.raises(OmmError, match="Hermitian"):
        Multilayer.from_layer(_Bad(), layers=2, spacing=3.4e-10)


@pytest.mark.parametrize("change, field", [
    ({"spacing": -1.0}, "spacing"),
    ({"lattice": np.zeros((2, 2))}, "lattice"),
    ({"potentials": (0.0, 0.0, 0.0)}, "gammas"),
    ({"h": lambda k: np.zeros((len(k), 2, 3))}, "model.h"),
    ({"h": lambda k: 1 / 0}, "model.h"),
    ({"gammas": [lambda k: np.zeros((len(k), 3, 3))]}, "gammas"),
    ({"potentials": (float("nan"), 0.0)}, "potentials"),
])
def test_bad_model_raises(change, field):
    ref = bilayer_graphene()
    args = dict(lattice=ref.lattice, h=ref.h, gammas=ref.gammas, potentials=ref.potentials,
                spacing=ref.spacing)
    args.update(change)
    with pytest.raises(OmmError, match=field):
        Multilayer(**args)


def test_bad_builtin_arguments():
    with pytest.raises(OmmError, match="stacking"):
        graphene_multilayer(3, "AAB")
    with pytest.raises(OmmError, match="layers"):
        graphene_multilayer(0)
    with pytest.raises(OmmError, match="a_cc"):
        bilayer_graphene(a_cc=-1.0)
    with pytest.raises(OmmError, match="model"):
        inverse_mass_tensor(object(), mu=0.2)


def test_spin_degeneracy_scales():
    """g_s multiplies every component."""
    m = bilayer_graphene(V=0.1)
    p1 = inverse_mass_tensor(m, mu=0.3, T=300.0, nk=56)
    p2 = inverse_mass_tensor(m, mu=0.3, T=300.0, nk=56, g_s=2)
    assert np.allclose(p2.X, 2 * p1.X, rtol=1e-14, atol=0)
    assert p2.n_electrons == pytest.approx(2 * p1.n_electrons)

"""``X`` for the FEM from a small specification (the TOML inline table).

Example (``[material]`` section of a run file)::

    X = {model = "blg", mu = 0.2, T = 300.0, V = 0.1}

Keys and units (energies in eV, temperature in K, lengths in m):

=========  ==========================================================  =========
key        meaning                                                     default
=========  ==========================================================  =========
model      "blg" (Bernal bilayer, Eq. 16), "aba" or "abc" (N layers)   required
mu         chemical potential [eV] (0 = charge neutrality)             required
T          temperature [K], 0 < T <= 1e5                               300
V          displacement energy [eV]: +V on layer 1 ... -V on layer N   0
g_s        spin degeneracy (integer, 1 <= g_s <= 4)                    1
layers     number of layers N (blg: 2 only; aba/abc: 1..64)            2 / 3
gamma0     intralayer hopping [eV]                                     -3.16
gamma1     dimer interlayer hopping [eV]                               -0.38
a_cc       carbon-carbon distance [m]                                  1.42e-10
d          layer spacing [m]                                           3.35e-10
tol        target relative accuracy of X (grid doubling)              1e-4
nk         fixed k-grid (even, >= 2) instead of automatic refinement   auto
refine     valley concentration of the k-grid, 0 <= r <= 0.99          0.6
=========  ==========================================================  =========

Resources are bounded before any work (:mod:`omm_fem.xtensor.tensor`):
at most ``MAX_STATES`` = 1e7 k-points x bands and ``MAX_WORK`` = 1e9
k-points x bands^3; many layers need a small fixed ``nk`` (or fail with a
message naming ``nk``), the automatic refinement stops at the finest grid
within the limits.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..checks import integer, real
from ..errors import OmmError, bad_value
from .graphene import A_CC, GAMMA0, GAMMA1, SPACING, graphene_multilayer
from .tensor import inverse_mass_tensor

__all__ = ["MODELS", "SPEC_KEYS", "model_from_spec", "material_X"]

MODELS = {"blg": "ABA", "aba": "ABA", "abc": "ABC"}
SPEC_KEYS = ("model", "mu", "T", "V", "g_s", "layers", "gamma0", "gamma1", "a_cc", "d",
             "tol", "nk", "refine")


def _number(spec, key, default, where):
    return real(f"{where}.{key}", spec.get(key, default), numpy=True,
                expected="expected a real number")


def model_from_spec(spec, where="material.X"):
    """Build the tight-binding model named by ``spec`` (see the module table).

    Returns
    -------
    model : Multilayer
    params : dict
        The model parameters actually used (JSON-serialisable).
    """
    if not isinstance(spec, Mapping):
        raise OmmError(bad_value(where, spec, "expected a table such as {model = \"blg\", mu = 0.2}"))
    unknown = sorted(set(spec) - set(SPEC_KEYS))
    if unknown:
        raise OmmError(bad_value(f"{where}.{unknown[0]}", spec[unknown[0]],
                                 f"unknown key; allowed keys: {', '.join(SPEC_KEYS)}"))
    name = spec.get("model")
    if name not in MODELS:
        raise OmmError(bad_value(f"{where}.model", name, f"allowed models: {', '.join(sorted(MODELS))}"))
    layers = spec.get("layers", 2 if name == "blg" else 3)
    integer(f"{where}.layers", layers, numpy=True)
    if name == "blg" and layers != 2:
        raise OmmError(bad_value(f"{where}.layers", layers,
                                 "model 'blg' has exactly 2 layers (use 'aba'/'abc')"))
    if not 1 <= layers <= 64:
        raise OmmError(bad_value(f"{where}.layers", layers, "allowed: 1 <= layers <= 64"))
    params = {
        "layers": int(layers), "stacking": MODELS[name],
        "V": _number(spec, "V", 0.0, where),
        "gamma0": _number(spec, "gamma0", GAMMA0, where),
        "gamma1": _number(spec, "gamma1", GAMMA1, where),
        "a_cc": _number(spec, "a_cc", A_CC, where),
        "d": _number(spec, "d", SPACING, where),
    }
    for key in ("a_cc", "d"):
        if not 1e-12 < params[key] < 1e-8:
            raise OmmError(bad_value(f"{where}.{key}", params[key], "length in metres, 1e-12 < value < 1e-8"))
    try:
        model = graphene_multilayer(params["layers"], params["stacking"], V=params["V"],
                                    gamma0=params["gamma0"], gamma1=params["gamma1"],
                                    a_cc=params["a_cc"], d=params["d"])
    except OmmError as exc:
        raise OmmError(f"{where}: {exc}") from None
    return model, params


def material_X(spec, *, where="material.X"):
    """Inverse-mass tensor for a FEM material from a model specification.

    Parameters
    ----------
    spec : mapping
        E.g. ``{"model": "blg", "mu": 0.2, "T": 300.0, "V": 0.1}``; keys and
        units in the module docstring. Unknown keys or bad values raise
        :class:`~omm_fem.errors.OmmError` naming the key.
    where : str
        Prefix of the field names in error messages.

    Returns
    -------
    X : ndarray, shape (3, 3)
        Symmetric inverse-mass tensor [1/kg], per unit cell (SPEC §10).
    info : dict
        JSON-serialisable: model name and parameters, X in 1/kg and 1/m_e,
        error estimate, convergence flag, k-point count, theta = X_zz/X_yy.
    """
    model, params = model_from_spec(spec, where)
    if "mu" not in spec:
        raise OmmError(bad_value(f"{where}.mu", None, "the chemical potential mu [eV] is required"))
    mu = _number(spec, "mu", None, where)
    nk = spec.get("nk")
    try:
        res = inverse_mass_tensor(model, mu=mu, T=spec.get("T", 300.0), g_s=spec.get("g_s", 1),
                                  tol=spec.get("tol", 1e-4), nk=nk, refine=spec.get("refine", 0.6))
    except OmmError as exc:
        raise OmmError(f"{where}.{exc}") from None
    info = res.to_dict()
    info.update(model=spec["model"], model_label=res.model, parameters=params)
    return np.array(res.X), info

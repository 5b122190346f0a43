"""The figures a referee sees: mathtext and SI prefixes in titles and labels, the
smooth strip formula on hmr.png, no noise panel on traces.png, named probes on
map.png, readable bar labels on blg_vs_mn.png, the colour-blind-safe palette."""
import re

import numpy as np
import pytest
from matplotlib.colors import to_hex

from omm_fem import plotstyle as ps
from omm_fem.config import parse_config
from omm_fem.plotting import draw_hmr, new_figure
from omm_fem.run import run
from omm_fem.run_figures import fine_grid, hmr_figure, map_figure
from omm_fem.transient.plots import INTEGRAL_SIGNIFICANCE, traces_figure
from omm_fem.validate.claims import VARIANTS
from omm_fem.validate.figures import blg_vs_mn_figure

# the Okabe-Ito colours as published (Okabe & Ito 2008), written out independently of
# the module so that a change of the palette fails here
OKABE_ITO = {"#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000",
             "#f0e442"}

MAT = {"D": 0.09, "tau": 1e-12, "alpha": 0.05, "sigma": 1e-3,
       "X": [[30.0, 0, 0], [0, 10.0, 0], [0, 0, 5.0]], "X_unit": "1/m_e"}


def hall_bar_config(**extra):
    """A coarse Hall bar (12 um x 2 um, two pairs of arms): about a second per run."""
    cfg = {"geometry": {"kind": "hall_bar", "length": 12e-6, "width": 2e-6, "arms": [4e-6, 8e-6],
                        "arm_width": 0.5e-6, "arm_length": 1e-6},
           "mesh": {"order": 1, "edge_size": 0.25e-6}, "material": dict(MAT),
           "contacts": {"source": {"current": 1e-6}, "drain": {"voltage": 0.0}},
           "measure": [{"name": "Rxx", "current": ["source", "drain"],
                        "voltage": ["probe_1_top", "probe_2_top"]}]}
    cfg.update(extra)
    return cfg


@pytest.fixture(scope="module")
def swept():
    cfg = hall_bar_config(sweep={"B_T": [0.0, 2.0, 4.0, 8.0]}, output={"strip_overlay": True})
    return run(parse_config(cfg), progress=False)


def texts(fig):
    """Every title, axis label, tick label, legend entry and free text of ``fig``."""
    out = [t.get_text() for t in fig.texts]
    if fig._suptitle is not None:
        out.append(fig._suptitle.get_text())
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        out += [t.get_text() for t in ax.texts]
        out += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
        if ax.get_legend() is not None:
            out += [t.get_text() for t in ax.get_legend().get_texts()]
    return [t for t in out if t]


def drawn(fig):
    fig.canvas.draw()  # tick labels exist only after a draw
    return fig


# ------------------------------------------------------------------------------- style
def test_palette_is_okabe_ito_and_draw_functions_use_it(swept):
    assert {to_hex(c) for c in ps.PALETTE} == OKABE_ITO
    fig = hmr_figure(swept)
    colours = {to_hex(ln.get_color()) for ax in fig.axes for ln in ax.lines}
    grey = to_hex(ps.GREY)
    assert colours - {grey} and colours - {grey} <= OKABE_ITO  # no matplotlib 'tab10' C0..C9
    ax = ps.style_axes(new_figure().subplots())  # the cycle for lines drawn without a colour
    assert [to_hex(ax.plot([0, 1])[0].get_color()) for _ in range(3)] == [
        to_hex(c) for c in ps.PALETTE[:3]]


@pytest.mark.parametrize("value,unit,factor,label", [
    (2e-6, "m", 1e6, "µm"), (6e-7, "m", 1e9, "nm"), (8e-12, "s", 1e12, "ps"),
    (1.5e-9, "s", 1e9, "ns"), (0.0, "m", 1.0, "m")])
def test_si_prefixes(value, unit, factor, label):
    f, lab = ps.si_scale(value, unit)
    assert lab == label and f == pytest.approx(factor)


def test_scientific_notation_in_mathtext():
    assert ps.sci(2.5e-12) == r"$2.5\times10^{-12}$"
    assert ps.sci(1480) == "$1480$"  # plain in [0.01, 1e4), never e-notation
    assert ps.sci(1e-7) == "$10^{-7}$"
    ax = new_figure().subplots()
    ax.plot([0, 1], [-7e-4, -2.5e-4])
    assert ps.scale_axis(ax.yaxis, r"$\rho$") == -4
    drawn(ax.figure)
    assert ax.get_ylabel() == r"$\rho$ ($\times10^{-4}$)"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels and not any("0.000" in t or "e-" in t for t in labels)
    assert not ax.yaxis.get_offset_text().get_visible()  # no offset text for a legend to hit


# --------------------------------------------------------------------------------- hmr
def test_hmr_has_title_parameters_and_a_smooth_strip_formula(swept):
    fig = drawn(hmr_figure(swept))
    head = fig._suptitle.get_text()
    for part in (r"$D$ = $0.09$ m$^2$/s", r"$\tau$ = 1 ps", r"$\alpha$ = 0.05", "hall bar 12 µm × 2 µm",
                 "P1", r"$\mathbf{B}\parallel$(1, 0, 0)"):
        assert part in head
    ax_rho, ax_star = fig.axes
    nf = len(swept.results["sweep"]["B_T"])
    strip = [ln for ln in ax_rho.lines if ln.get_label().startswith("strip formula")]
    assert len(strip) == 1 and len(strip[0].get_xdata()) >= 100 * nf / 4 > nf
    assert ax_rho.get_ylabel().startswith(r"$\rho = (R - R_0)")
    assert r"\times10^{-4}" in ax_rho.get_ylabel()  # rho ~ 1e-4: the power in the label
    ticks = [t.get_text() for t in ax_rho.get_yticklabels()]
    assert not any(t.startswith(("0.000", "−0.000")) for t in ticks)
    assert ax_star.get_ylabel().startswith(r"$\rho^*")
    assert "Factor 2" in " ".join(t.get_text() for t in fig.texts)
    assert not any("SPEC" in t or "§" in t for t in texts(fig))


def test_coinciding_rho_star_curves_stay_distinguishable():
    ax = new_figure().subplots()
    x = np.linspace(0, 8, 5)
    same = 1 - np.exp(-x / 4)
    draw_hmr(ax, x, {"a": (same, same), "b": (same, same), "c": (same, same)}, star=True)
    styles = {(ln.get_color(), ln.get_marker(), ln.get_linestyle()) for ln in ax.lines}
    assert len(styles) == 3 and len({s[1] for s in styles}) == 3 and len({s[2] for s in styles}) == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "c"]


def test_fine_grid_keeps_the_sweep_points_and_covers_decades():
    x = np.array([0.0, 0.01, 1.0, 100.0])
    g = fine_grid(x)
    assert set(x) <= set(g) and np.all(np.diff(g) > 0)
    assert np.sum((g > 0.01) & (g < 1.0)) >= 100  # log spacing where the sweep is log spaced


# --------------------------------------------------------------------------------- map
def test_map_names_contacts_and_probes_in_si_units(swept):
    fig = drawn(map_figure(swept))
    ax = fig.axes[0]
    names = {t.get_text() for t in ax.texts}
    assert {"source", "drain", "probe_1_top", "probe_1_bottom", "probe_2_top",
            "probe_2_bottom"} <= names
    assert ax.get_xlabel() == "$x$ (µm)" and ax.get_ylabel() == "$y$ (µm)"  # 12 um sample
    assert ax.get_title().startswith("$n^z$ at $\\mathbf{B}$")
    bar = fig.axes[1]
    label = bar.get_xlabel() or bar.get_ylabel()
    assert label.startswith("$n^z$ ($10^{") and "C/m$^2$" in label
    assert not any("n^z" in t and "$n^z$" not in t for t in texts(fig))  # mathtext only


# ------------------------------------------------------------------------------ traces
def _traces(int_scale=1e-34, I0=None):
    t = np.linspace(0, 8e-12, 81)
    norm = 1.6e-13 * (1 - np.exp(-t / 1e-12))
    tr = {"t_s": t, "delta_I_over_I0": 8e-4 * (1 - np.exp(-t / 1e-12)),
          "rho": -8e-4 * (1 - np.exp(-t / 1e-12)), "B_x_T": 4.0 * ((t > 3e-12) & (t < 4e-12)),
          "B_y_T": 0 * t, "B_z_T": 0 * t, "current0_A": np.full_like(t, 1e-6) if I0 is None else I0,
          "norm_n_C_per_m": norm, "n_z_edge_C_per_m2": 7e-7 * norm / norm.max(),
          "n_y_edge_C_per_m2": 0 * t}
    for k, a in enumerate("xyz"):
        tr[f"int_n_{a}_C"] = int_scale * np.sin(t / 1e-12 + k)
    return tr


AREA = 2.4e-13  # m^2 (400 nm x 600 nm): the bound sqrt(|Omega|) max||n|| is 7.8e-20 C


def test_traces_drop_integrals_that_are_rounding_noise_and_a_constant_drive():
    fig = drawn(traces_figure(_traces(), title="strang", area_m2=AREA))
    assert len(fig.axes) == 4  # no twin axis for the constant I0
    labels = [ln.get_label() for ax in fig.axes for ln in ax.lines]
    assert not any(r"\int" in lab for lab in labels)
    assert "not drawn" in " ".join(t.get_text() for t in fig.axes[3].texts)
    assert "$I_0$ = 1 µA (constant)" in fig._suptitle.get_text()
    assert all(ax.get_xlabel() in ("", "$t$ (ps)") for ax in fig.axes)
    assert fig.axes[2].get_ylabel() == "OMM density ($10^{-7}$ C/m$^2$)"
    for ax in fig.axes:  # powers of ten in the labels: no offset text beside the legends
        assert not ax.yaxis.get_offset_text().get_visible() or not ax.yaxis.get_offset_text(
        ).get_text()


def test_traces_keep_significant_integrals_and_a_varying_drive():
    bound = np.sqrt(AREA) * 1.6e-13
    I0 = np.linspace(0.0, 1e-6, 81)
    fig = drawn(traces_figure(_traces(int_scale=1e3 * INTEGRAL_SIGNIFICANCE * bound, I0=I0),
                              area_m2=AREA))
    labels = [ln.get_label() for ax in fig.axes for ln in ax.lines]
    assert sum(r"\int n^" in lab for lab in labels) == 3
    assert len(fig.axes) == 5 and "constant" not in fig._suptitle.get_text()


# --------------------------------------------------------------------------- blg_vs_mn
def test_blg_vs_mn_bars_have_readable_labels():
    rows = [{"variant": key, "label": text, "theta": theta or 0.144, "B_T": 9.0,
             "max_fem": 1e-4 * (k + 1), "L_opt_Lm": 3.0, "L_opt_m": 3.0 * p["L_m"]}
            for k, (key, (text, p, theta)) in enumerate(VARIANTS.items())]
    fig = drawn(blg_vs_mn_figure(rows, 1e-7, 9.0))
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert len(ticks) == 1 + len(VARIANTS)
    plain = [re.sub(r"\$[^$]*\$", "", t) for t in ticks]  # the text outside mathtext
    assert not set(ticks) & set(VARIANTS) and not any("_" in t for t in plain)  # no code keys
    assert any("$L_m$ = 100 nm" in t for t in ticks)  # the example's L_m, with its SI prefix
    assert ticks[0].startswith("Mn film")
    foot = " ".join(t.get_text() for t in fig.texts)
    assert "Factor 2" in foot and "SPEC" not in foot and "paper's Omega tau" not in foot

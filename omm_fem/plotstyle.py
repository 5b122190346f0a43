"""The shared style of every figure: a colour-blind-safe palette, marker and
line-style cycles, SI-prefixed units, scientific-notation tick labels and the
field-scale sentence.

Colours are the Okabe-Ito palette (Okabe & Ito, "Color Universal Design",
2008), distinguishable under the common forms of colour blindness; the
yellow is last because it is faint on white. Curves that may lie on top of
each other get a colour, a marker *and* a line style (:func:`curve_style`).
Colour maps: ``RdBu_r`` (diverging, signed fields), ``viridis`` (sequential)
and ``YlOrRd`` (light sequential, behind printed numbers), all colour-blind safe.

matplotlib is imported inside the functions only.
"""
from __future__ import annotations

import math
import re

import numpy as np

#: Okabe-Ito colours by name.
OKABE_ITO = {"blue": "#0072B2", "vermillion": "#D55E00", "bluish green": "#009E73",
             "reddish purple": "#CC79A7", "orange": "#E69F00", "sky blue": "#56B4E9",
             "black": "#000000", "yellow": "#F0E442"}
#: The colour cycle of every figure (Okabe-Ito, yellow last).
PALETTE = tuple(OKABE_ITO.values())
#: Marker and line-style cycles (their lengths are coprime to the palette's
#: in pairs only where it helps: 7 markers, 4 line styles).
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
LINESTYLES = ("-", "--", "-.", ":")
#: Diverging map for signed fields (n^z) and sequential map for magnitudes.
DIVERGING_CMAP = "RdBu_r"
SEQUENTIAL_CMAP = "viridis"
#: Light sequential map for tables of numbers drawn as colours (text stays legible).
HEATMAP_CMAP = "YlOrRd"
#: Grey of reference lines and footnotes.
GREY = "0.35"

#: The factor 2 between this code's field scale and the paper's, in one sentence
#: (SPEC section 9, item 1), put under every figure with a field.
FACTOR_TWO_NOTE = (r"Factor 2: the paper's precession rate $\Omega=eBX_{yy}$ is twice this "
                   r"code's $(e/2)BX_{yy}$ (Eq. 1), so a paper curve at $\Omega\tau$ appears "
                   r"here at $\phi=(e/2)BX_{yy}\tau=\Omega\tau$, i.e. at twice the paper's field.")

_PREFIXES = {-15: "f", -12: "p", -9: "n", -6: "µ", -3: "m", 0: "", 3: "k", 6: "M"}


def color(k: int) -> str:
    """The ``k``-th colour of :data:`PALETTE` (cyclic)."""
    return PALETTE[k % len(PALETTE)]


def marker(k: int) -> str:
    """The ``k``-th marker of :data:`MARKERS` (cyclic)."""
    return MARKERS[k % len(MARKERS)]


def linestyle(k: int) -> str:
    """The ``k``-th line style of :data:`LINESTYLES` (cyclic)."""
    return LINESTYLES[k % len(LINESTYLES)]


def curve_style(k: int) -> dict:
    """Keyword arguments of ``Axes.plot`` for curve ``k`` of a family: colour,
    marker and line style all change with ``k``, markers open with decreasing
    size, so that coinciding curves stay visible."""
    return {"color": color(k), "marker": marker(k), "ls": linestyle(k), "mfc": "none",
            "ms": max(3.0, 6.5 - 1.0 * k), "lw": 1.0, "mew": 1.0}


def si_scale(value, unit: str):
    """Factor and prefixed unit that put ``value`` in [1, 1000).

    Parameters
    ----------
    value : float
        A typical magnitude in the SI unit (e.g. the sample size [m]).
    unit : str
        The SI unit, e.g. ``"m"`` or ``"s"``.

    Returns
    -------
    factor : float
        Multiply SI values by it.
    label : str
        The prefixed unit, e.g. ``"µm"``, ``"nm"``, ``"ps"``.

    Examples
    --------
    >>> si_scale(2.5e-6, "m")
    (1000000.0, 'µm')
    >>> si_scale(8e-12, "s")
    (1000000000000.0, 'ps')
    """
    v = abs(float(value))
    if not math.isfinite(v) or v == 0:
        return 1.0, unit
    exp = 3 * math.floor(math.log10(v) / 3 + 1e-9)
    exp = min(max(exp, min(_PREFIXES)), max(_PREFIXES))
    return 10.0 ** -exp, _PREFIXES[exp] + unit


def length_scale(points_m):
    """:func:`si_scale` of the sample size (largest bounding-box extent) of
    ``points_m`` (2, npts) [m]: the one length unit of maps and animations."""
    p = np.asarray(points_m, float)
    return si_scale(float(np.ptp(p, axis=1).max()), "m")


def sci(value, digits: int = 3) -> str:
    """``value`` in mathtext scientific notation, e.g. ``$1.5\\times10^{-12}$``;
    plain ``$g$`` formatting between 0.01 and 1e4."""
    v = float(value)
    if v == 0 or not math.isfinite(v) or 1e-2 <= abs(v) < 1e4:
        return f"${float(f'{v:.{digits}g}'):.12g}$"  # rounded, never in e-notation
    exp = math.floor(math.log10(abs(v)))
    mant = v / 10.0 ** exp
    if round(abs(mant), digits - 1) >= 10:
        mant, exp = mant / 10, exp + 1
    m = f"{mant:.{digits}g}"
    return rf"$10^{{{exp}}}$" if m == "1" else rf"${m}\times10^{{{exp}}}$"


def quantity(value, unit: str, digits: int = 3) -> str:
    """``value`` [SI ``unit``] with the SI prefix of :func:`si_scale`, e.g. ``2 ps``."""
    f, lab = si_scale(value, unit)
    return f"{float(value) * f:.{digits}g} {lab}"


def sci_formatter(axis):
    """Give a linear ``axis`` (``ax.xaxis``, ``ax.yaxis`` or a colour bar's) tick
    labels in scientific notation with a mathtext offset (``×10⁻⁴``) outside
    1e-3 .. 1e4; log and categorical axes are left alone."""
    from matplotlib.ticker import ScalarFormatter

    if axis.get_scale() != "linear" or not isinstance(axis.get_major_formatter(),
                                                       ScalarFormatter):
        return
    f = ScalarFormatter(useMathText=True)
    f.set_powerlimits((-3, 4))
    axis.set_major_formatter(f)


def _fixed_power(axis, p):
    """Tick labels of ``axis`` as multiples of 10**p (same decimals on every tick,
    true minus signs), the power itself hidden: the axis label states it."""
    from matplotlib.ticker import ScalarFormatter

    f = ScalarFormatter(useOffset=False, useMathText=True)
    if p:
        f.set_powerlimits((p, p))
    else:
        f.set_scientific(False)
    axis.set_major_formatter(f)
    axis.get_offset_text().set_visible(False)


def _power(vmax):
    return 0 if vmax == 0 or not math.isfinite(vmax) else math.floor(math.log10(vmax) + 1e-12)


def scale_axis(axis, label: str, unit: str = ""):
    """Label ``axis`` with ``label`` and ``unit`` and, when its range needs it, a
    power of ten in the label instead of an offset text: ``n ($10^{-7}$ C/m$^2$)``
    with ticks 2, 4, 6, or ``rho ($\\times10^{-4}$)`` for a dimensionless
    quantity. Plain ticks between 0.01 and 1e4. Call it once the data are
    drawn (the power comes from the axis' view limits). Log axes get the label only.

    Parameters
    ----------
    axis : matplotlib.axis.Axis
        ``ax.xaxis``, ``ax.yaxis`` or the long axis of a colour bar.
    label, unit : str
        Quantity and SI unit (mathtext allowed); ``unit = ""`` for a ratio.

    Returns
    -------
    int
        The power of ten taken out of the tick labels (0 if none).
    """
    if axis.get_scale() != "linear":
        axis.set_label_text(f"{label} ({unit})" if unit else label)
        return 0
    lo, hi = axis.get_view_interval()
    p = _power(max(abs(lo), abs(hi)))
    if -2 <= p < 4:
        _fixed_power(axis, 0)
        axis.set_label_text(f"{label} ({unit})" if unit else label)
        return 0
    _fixed_power(axis, p)
    power = f"$10^{{{p}}}$"
    axis.set_label_text(f"{label} ({power} {unit})" if unit else
                        f"{label} ($\\times10^{{{p}}}$)")
    return p


def si_axis(axis, label: str, unit: str, typical=None):
    """Tick labels of an ``axis`` whose data are in the SI ``unit``, shown with the
    SI prefix of :func:`si_scale` (``typical`` [SI], default the largest view
    limit): seconds drawn as ``t (ps)``, the data stay in SI. Returns the factor."""
    if typical is None:
        typical = max(abs(v) for v in axis.get_view_interval())
    f, lab = si_scale(typical, unit)
    _fixed_power(axis, -round(math.log10(f)))
    axis.set_label_text(f"{label} ({lab})")
    return f


def style_axes(ax):
    """The shared style on ``ax``: the :data:`PALETTE` colour cycle and
    scientific tick labels on its linear axes. Returns ``ax``."""
    ax.set_prop_cycle(color=list(PALETTE))
    for axis in (ax.xaxis, ax.yaxis):
        sci_formatter(axis)
    return ax


def _visible(word):
    """Printed length of a word with mathtext: commands count as one glyph,
    ``$ { } ^ _`` as none."""
    return len(re.sub(r"[${}^_]", "", re.sub(r"\\[A-Za-z]+", "x", word)))


def wrap(text, width):
    """Greedy wrap of ``text`` at spaces to ``width`` printed characters
    (:func:`_visible`), so mathtext (written without spaces) is never split."""
    lines, cur, n = [], [], 0
    for w in text.split():
        if cur and n + 1 + _visible(w) > width:
            lines.append(" ".join(cur))
            cur, n = [], 0
        n += _visible(w) + (1 if cur else 0)
        cur.append(w)
    return lines + ([" ".join(cur)] if cur else [])


def footnote(fig, note, *, fontsize=7, width=None):
    """Put ``note`` (wrapped at spaces, so mathtext without spaces is never split)
    under ``fig`` and shrink its constrained layout to make room."""
    if not note:
        return
    w_in, h_in = fig.get_size_inches()
    width = width or int(w_in * 72 * 0.96 / (0.56 * fontsize))  # ~0.56 em per glyph
    lines = wrap(note, width)
    pad = (len(lines) * fontsize * 1.45 + 6) / (72 * h_in)  # line height ~1.45 em (mathtext)
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set"):
        engine.set(rect=(0, pad, 1, 1 - pad))
    fig.text(0.01, 0.008, "\n".join(lines), fontsize=fontsize, color=GREY, va="bottom")

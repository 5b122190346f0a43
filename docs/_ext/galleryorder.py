"""Order of the gallery examples: from the accuracy check to the applications.

``sphinx_gallery_conf["within_subsection_order"]`` names this class by its
full name (a string keeps the Sphinx configuration serialisable).
"""

ORDER = (
    "plot_strip_limit.py",
    "plot_hall_bar_hmr.py",
    "plot_flake.py",
    "plot_van_der_pauw.py",
    "plot_transient_pulse.py",
    "plot_xtensor_blg.py",
    "plot_fit_mn.py",
)


class ExampleOrder:
    """Sort key: the position in :data:`ORDER`; unlisted examples follow by name."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        return (ORDER.index(filename), "") if filename in ORDER else (len(ORDER), filename)

    def __repr__(self):  # part of sphinx-gallery's cache key
        return f"<{type(self).__name__}>"

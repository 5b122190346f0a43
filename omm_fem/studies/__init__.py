"""Benchmarks and convergence studies of the repository's ``validation/`` directory.

One module per study; each exposes ``run(...) -> dict`` (the figures and table
rows as data) and ``table(result) -> str`` (the Markdown its script writes).
``validation/<name>.py`` is the command-line wrapper of ``omm_fem.studies.<name>``;
tests import the modules directly::

    from omm_fem.studies import flake_convergence
    res = flake_convergence.run(levels=2)
    print(flake_convergence.table(res))

Modules: ``bench_cheap``, ``bench_fit``, ``bench_memory``, ``bench_pipeline``, ``bench_sweep``,
``fit_formula_bias``, ``error_estimates``, ``flake_convergence``,
``fuzz_report`` (cases from ``fuzz_cases``, shared with tests/test_fuzz.py, and the
end-to-end cases of ``fuzz_attacks`` / ``fuzz_io_attacks``, run by ``fuzz_runner``),
``transient_benchmark``, ``transient_convergence``, ``xtensor_benchmark``,
``xtensor_fig2``. Nothing is imported here: a study loads its dependencies
(gmsh, hypothesis, matplotlib for figures) only when it is used.

Studies that read the committed meshes find them through :data:`MESHES`, the
``meshes/`` directory of the source checkout.
"""
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MESHES = REPO / "meshes"
VALIDATION = REPO / "validation"

"""Long transient studies (``pytest -m slow``): the convergence study of
validation/transient_convergence.py and the cost targets of
validation/transient_benchmark.py."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

VALIDATION = Path(__file__).resolve().parents[1] / "validation"
EXPECTED = {"be": 1, "cn": 2, "bdf2": 2, "strang": 2}


@pytest.mark.slow
def test_convergence_study_orders():
    from omm_fem.studies import transient_convergence

    res = transient_convergence.run()
    for study in ("uniform", "rotating", "device"):
        for scheme, order in res[study].items():
            assert abs(order - EXPECTED[scheme]) <= 0.1, (study, scheme, order)


@pytest.mark.slow
def test_benchmark_cost_targets():
    """Issue targets: varying-B run <= 2x the constant-B run; a step with an unchanged
    operator <= 5% of a steady solve (Strang splitting, quick mesh, single-threaded
    BLAS in a subprocess so that a busy second core does not distort the timing)."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, str(VALIDATION / "transient_benchmark.py"), "--quick",
                          "--json"], env=env, capture_output=True, text=True, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert r["varying_over_constant"] <= 2.0
    assert r["rotating_over_constant"] <= 2.0
    assert r["step_over_steady"] <= 0.05

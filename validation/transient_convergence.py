"""Observed orders of the time steppers (SPEC §7).

    python validation/transient_convergence.py [--levels 5]

The study is omm_fem.studies.transient_convergence (the three studies and the
fit are described there). Writes validation/transient_convergence.md.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from omm_fem.io import atomic_write
from omm_fem.studies import transient_convergence
from omm_fem.studies.transient_convergence import run as study  # noqa: F401  (tests/test_transient_slow.py)

HERE = Path(__file__).resolve().parent


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--levels", type=int, default=5,
                    help="step sizes per study (the device study uses one more)")
    ap.add_argument("--out", default=str(HERE / "transient_convergence.md"))
    args = ap.parse_args(argv)
    text = transient_convergence.table(transient_convergence.run(levels=args.levels))
    print(text)
    atomic_write(Path(args.out), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


if __name__ == "__main__":
    main()

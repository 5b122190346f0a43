"""Study: observable error against the Krylov tolerance of the iterative path.

    python validation/krylov_tolerance.py [--nodes 60000]

The study is omm_fem.studies.krylov_tolerance. Writes
validation/krylov_tolerance.md and validation/krylov_tolerance.json; exits 1 if
the largest error / rtol exceeds omm_fem.krylov.OBSERVABLE_PER_RESIDUAL.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=60_000)
    ap.add_argument("--out", default=str(Path(__file__).with_name("krylov_tolerance.md")))
    args = ap.parse_args(argv)
    from omm_fem.io import write_json, write_text
    from omm_fem.krylov import OBSERVABLE_PER_RESIDUAL
    from omm_fem.studies import krylov_tolerance as study

    records = study.run(nodes=args.nodes)
    text = study.table(records)
    print(text)
    write_text(args.out, text)
    write_json(Path(args.out).with_suffix(".json"), records)
    return 0 if study.check(records) <= OBSERVABLE_PER_RESIDUAL else 1


if __name__ == "__main__":
    sys.exit(main())

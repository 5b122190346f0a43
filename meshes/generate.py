"""Regenerate the committed meshes from their .geo sources.

    python meshes/generate.py                      # all meshes, default sizes
    python meshes/generate.py flake --edge-size 2e-8 --size 2e-7 --out /tmp/flake_fine.msh

Writes gmsh MSH 4.1 (ASCII) files next to the sources (or to --out) and
prints each mesh's node count and tags, read back with omm_fem's loader.
"""
from __future__ import annotations

import argparse
from pathlib import Path

HERE = Path(__file__).resolve().parent
NAMES = ("hall_bar", "cross", "flake")


def generate(name, out=None, edge_size=None, size=None):
    from omm_fem.geometry.gmsh_tools import mesh_geo_file

    return mesh_geo_file(HERE / f"{name}.geo", Path(out) if out else HERE / f"{name}.msh",
                         edge_size=edge_size, size=size)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", default=list(NAMES), help=f"meshes to build: {NAMES}")
    ap.add_argument("--edge-size", type=float, help="element size at the boundary [m]")
    ap.add_argument("--size", type=float, help="bulk element size [m]")
    ap.add_argument("--out", help="output file (one mesh only)")
    args = ap.parse_args(argv)
    from omm_fem.geometry import load_mesh

    for name in args.names:
        path = generate(name, args.out if len(args.names) == 1 else None, args.edge_size, args.size)
        m = load_mesh(path)
        print(f"{path}: {m.p.shape[1]} nodes, {m.t.shape[1]} triangles; boundaries "
              f"{sorted(m.boundaries)}; regions {sorted(m.subdomains)}")


if __name__ == "__main__":
    main()

"""Each bad mesh raises an OmmError (MeshError) that names the problem."""
from pathlib import Path

import meshio
import numpy as np
import pytest

from omm_fem.config import parse_config
from omm_fem.errors import MeshError, OmmError
from omm_fem.geometry import load_mesh, tagged_mesh
from omm_fem.material import Material
from omm_fem.problem import Contact, Problem
from omm_fem.units import M_E

MESHES = Path(__file__).resolve().parents[1] / "meshes"
MAT = Material(D=1e-2, tau=1e-12, alpha=0.1, sigma=1e-3, X=np.eye(3) / M_E)

# a 2 x 1 grid of unit squares, each split in two triangles
P = np.array([[0, 0], [1, 0], [2, 0], [0, 1], [1, 1], [2, 1]], float) * 1e-6
T = np.array([[0, 1, 4], [0, 4, 3], [1, 2, 5], [1, 5, 4]])
LEFT, RIGHT = [[0, 3]], [[2, 5]]


def contacts(a="left", b="right"):
    return [Contact(a, current=1e-6), Contact(b, voltage=0.0)]


def test_good_mesh_passes():
    mesh = tagged_mesh(P, T, {"left": LEFT, "right": RIGHT}, {"all": [0, 1, 2, 3]})
    Problem(mesh=mesh, materials=MAT, contacts=contacts())


def test_unreadable_and_truncated_files(tmp_path):
    bad = tmp_path / "garbage.msh"
    bad.write_bytes(b"\x00\x01 this is not a mesh")
    with pytest.raises(MeshError, match="garbage.msh.*cannot be read"):
        load_mesh(bad)
    text = (MESHES / "cross.msh").read_text()
    cut = tmp_path / "truncated.msh"
    cut.write_text(text[: len(text) // 2])
    with pytest.raises(MeshError, match="truncated.msh"):
        load_mesh(cut)
    with pytest.raises(MeshError, match="does not exist"):
        load_mesh(tmp_path / "nope.msh")


def test_misspelt_tag_lists_the_existing_ones():
    mesh = load_mesh(MESHES / "cross.msh")
    with pytest.raises(OmmError, match=r"contacts\.C1.*\['c1', 'c2', 'c3', 'c4', 'edge'\]"):
        Problem(mesh=mesh, materials=MAT, contacts=[Contact("C1", current=1e-6),
                                                      Contact("c3", voltage=0.0)])


def test_misspelt_tag_in_a_config_mentions_the_file_tags(tmp_path):
    cfg = {"geometry": {"kind": "mesh", "file": str(MESHES / "cross.msh")},
           "material": {"D": 1e-2, "tau": 1e-12, "alpha": 0.1, "sigma": 1e-3,
                        "X": [[1e31, 0, 0], [0, 1e31, 0], [0, 0, 1e31]]},
           "mesh": {"order": 1},
           "contacts": {"c1": {"current": 1e-6}, "c5": {"voltage": 0.0}}}
    spec = parse_config(cfg)
    with pytest.raises(OmmError, match=r"contacts\.c5.*'c4'"):
        spec.build_problem()


def test_empty_tag():
    mesh = tagged_mesh(P, T, {"left": LEFT, "right": RIGHT, "gate": []})
    with pytest.raises(MeshError, match="gate.*no facets"):
        Problem(mesh=mesh, materials=MAT, contacts=contacts("left", "gate"))


def test_tag_on_interior_edges():
    with pytest.raises(MeshError, match="'mid'.*interior"):
        tagged_mesh(P, T, {"left": LEFT, "mid": [[1, 4]]})


def test_tag_with_edges_not_in_the_mesh():
    with pytest.raises(MeshError, match="'diag'.*not edges"):
        tagged_mesh(P, T, {"diag": [[0, 5]]})


def test_contacts_that_touch():
    mesh = tagged_mesh(P, T, {"left": LEFT, "bottom": [[0, 1]], "right": RIGHT})
    with pytest.raises(MeshError, match="'left' and 'bottom'|'bottom' and 'left'"):
        Problem(mesh=mesh, materials=MAT, contacts=contacts("left", "bottom"))


def test_degenerate_duplicate_and_folded_triangles():
    Pd = np.vstack([P, [[0.5e-6, 0]]])  # vertex on the bottom edge
    with pytest.raises(MeshError, match="degenerate"):
        tagged_mesh(Pd, np.vstack([T, [[0, 6, 1]]]))
    with pytest.raises(MeshError, match="duplicate"):
        tagged_mesh(P, np.vstack([T, [[4, 0, 1]]]))
    # move vertex 4 past vertex 1: the triangles around it overlap (inverted elements)
    Pf = P.copy()
    Pf[4] = [2.5e-6, 0.5e-6]
    with pytest.raises(MeshError, match="inverted or overlapping"):
        tagged_mesh(Pf, T)


def test_region_without_material():
    mesh = tagged_mesh(P, T, {"left": LEFT, "right": RIGHT}, {"a": [0, 1], "b": [2, 3]})
    with pytest.raises(MeshError, match=r"regions without a material: \['b'\]"):
        Problem(mesh=mesh, materials={"a": MAT}, contacts=contacts())


def test_contacts_on_disconnected_islands():
    # two separate squares: contacts on the second have no voltage reference
    P2 = np.vstack([P[[0, 1, 3, 4]], P[[0, 1, 3, 4]] + [3e-6, 0]])
    T2 = np.array([[0, 1, 3], [0, 3, 2], [4, 5, 7], [4, 7, 6]])
    mesh = tagged_mesh(P2, T2, {"l1": [[0, 2]], "r1": [[1, 3]], "l2": [[4, 6]], "r2": [[5, 7]]})
    with pytest.raises(MeshError, match=r"\['l2', 'r2'\].*island"):
        Problem(mesh=mesh, materials=MAT, contacts=[Contact("l1", current=1e-6),
                                                    Contact("r1", voltage=0.0),
                                                    Contact("l2", current=1e-6),
                                                    Contact("r2", current=-1e-6)])
    with pytest.raises(MeshError, match="island that touches no contact"):
        Problem(mesh=mesh, materials=MAT, contacts=[Contact("l1", current=1e-6),
                                                    Contact("r1", voltage=0.0)])


def test_mesh_file_without_triangles(tmp_path):
    path = tmp_path / "lines.vtu"
    meshio.write(path, meshio.Mesh(P, [("line", np.array([[0, 1], [1, 2]]))]), file_format="vtu")
    with pytest.raises(MeshError, match="no 3-node triangles"):
        load_mesh(path)

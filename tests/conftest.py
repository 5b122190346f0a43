"""Shared builders for the core tests (strip problems with known exact solutions)."""
import numpy as np
import pytest

from omm_fem.geometry import rectangle
from omm_fem.material import Material
from omm_fem.problem import Contact, Problem, boundary_layer_length
from omm_fem.units import E_CHARGE, M_E

LM = 100e-9  # OMM diffusion length of the test material [m]


def strip_material(theta=0.1, *, alpha=0.05, mobility=1.0, offdiag=0.0, D=1e-2, tau=1e-12):
    """Test material: L_m = 100 nm, X = diag(1, 1, theta) / (0.041 m_e) (+ off-diagonals)."""
    X = np.diag([1.0, 1.0, theta])
    X[0, 1] = X[1, 0] = offdiag
    return Material(D=D, tau=tau, alpha=alpha, sigma=1.6e-3, mobility=mobility,
                    X=X / (0.041 * M_E))


def field_for_phi(mat, phi):
    """B [T] along x giving phi = (e/2) B X_yy tau."""
    return phi / (0.5 * E_CHARGE * mat.X[1, 1] * mat.tau)


def strip_problem(mat, B, *, width, length, edge_size=None, size=None, order=2, omm="reflecting",
                  drift=False, current=1e-6, grade_contacts=None):
    """Rectangle with source (current) / drain (ground) contacts."""
    if grade_contacts is None:
        grade_contacts = omm != "reflecting"
    mesh = rectangle(length=length, width=width, size=size or width / 4, edge_size=edge_size,
                     grade_contacts=grade_contacts)
    return Problem(mesh=mesh, materials=mat, B=B, order=order, drift=drift,
                   contacts=[Contact("source", current=current, omm=omm),
                             Contact("drain", voltage=0.0, omm=omm)])


@pytest.fixture
def make_strip():
    return strip_problem


def ell_of(mat, fields):
    return boundary_layer_length([mat], fields)


def _rect_msh(path, size):
    """A 4e-7 m x 3e-7 m rectangle meshed by gmsh with elements of ``size`` [m];
    tags source (x = 0), drain, edge; region sample."""
    import gmsh

    gmsh.initialize(readConfigFiles=False, interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.option.setNumber("General.NumThreads", 1)
        geo = gmsh.model.geo
        pts = [geo.addPoint(x, y, 0, size)
               for x, y in ((0, -1.5e-7), (4e-7, -1.5e-7), (4e-7, 1.5e-7), (0, 1.5e-7))]
        lines = [geo.addLine(pts[k], pts[(k + 1) % 4]) for k in range(4)]
        surf = geo.addPlaneSurface([geo.addCurveLoop(lines)])
        geo.synchronize()
        gmsh.model.addPhysicalGroup(1, [lines[3]], name="source")
        gmsh.model.addPhysicalGroup(1, [lines[1]], name="drain")
        gmsh.model.addPhysicalGroup(1, [lines[0], lines[2]], name="edge")
        gmsh.model.addPhysicalGroup(2, [surf], name="sample")
        gmsh.model.mesh.generate(2)
        gmsh.option.setNumber("Mesh.MshFileVersion", 4.1)
        gmsh.write(str(path))
    finally:
        gmsh.finalize()


@pytest.fixture
def rect_msh():
    """Writer of a gmsh rectangle mesh file: ``rect_msh(path, size)`` (see _rect_msh)."""
    return _rect_msh



# ------------------------------------------------------- every result file follows its schema
RESULT_FILES = ("results.json", "fit.json")
_checked = set()  # (path, size, mtime) of the files already validated
_exempt = []  # tmp_path of tests marked foreign_results_json


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "foreign_results_json: the test writes a results.json that is not a result "
                   "file of the project (e.g. to test atomic writes); it is not checked against "
                   "omm_fem/schemas")


def check_result_files(root):
    """Validate every results.json and fit.json under ``root`` against its schema
    (:mod:`omm_fem.schemas`), each content once; raises OmmError naming the file and key."""
    import json
    from pathlib import Path

    from omm_fem.schemas import validate

    for name in RESULT_FILES:
        for path in sorted(Path(root).rglob(name)):
            st = path.stat()
            key = (str(path), st.st_size, st.st_mtime_ns)
            if key in _checked or any(str(path).startswith(e) for e in _exempt):
                continue
            validate(json.loads(path.read_text()), kind="fit" if name == "fit.json" else None,
                     name=str(path))
            _checked.add(key)


@pytest.fixture(autouse=True)
def _result_files_follow_their_schema(request):
    """After each test: the result files it wrote into its tmp_path follow their schema."""
    yield
    tmp = getattr(request.node, "funcargs", {}).get("tmp_path")
    if tmp is None:
        return
    if request.node.get_closest_marker("foreign_results_json"):
        _exempt.append(str(tmp) + "/")
        return
    check_result_files(tmp)


@pytest.fixture(autouse=True, scope="session")
def _shared_result_files_follow_their_schema(tmp_path_factory):
    """At the end of the session: also those in directories of tmp_path_factory (runs that
    the tests of a module share)."""
    yield
    check_result_files(tmp_path_factory.getbasetemp())

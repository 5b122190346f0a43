"""Bad input raises OmmError (a ValueError) whose message names the field."""
import copy

import numpy as np
import pytest
from conftest import LM, strip_material, strip_problem

from omm_fem.config import default_config, parse_config
from omm_fem.errors import MESSAGE_MAX, ConfigError, MeshError, OmmError
from omm_fem.material import Material
from omm_fem.problem import Contact, Problem
from omm_fem.units import M_E

GOOD = dict(D=1e-2, tau=1e-12, alpha=0.05, sigma=1e-3, mobility=1.0, X=np.eye(3) / M_E)


@pytest.mark.parametrize("field,value,match", [
    ("D", 0.0, "material.D"), ("D", -1.0, "material.D"), ("tau", 0.0, "material.tau"),
    ("tau", float("nan"), "material.tau"), ("sigma", -2.0, "material.sigma"),
    ("sigma", "1e-3", "material.sigma"), ("mobility", -1.0, "material.mobility"),
    ("alpha", float("inf"), "material.alpha"),
    ("X", [[1, 2, 0], [0, 1, 0], [0, 0, 1]], "symmetric"),
    ("X", [[1, 0, 0], [0, float("nan"), 0], [0, 0, 1]], "finite"),
    ("X", [[1, 0], [0, 1]], "3x3"),
])
def test_material_validation(field, value, match):
    kw = dict(GOOD, **{field: value})
    with pytest.raises(OmmError, match=match):
        Material(**kw)


def test_unstable_relaxation_matrix_is_refused():
    # X with a negative out-of-plane entry: A = I/tau + (e/2) B x X gets an eigenvalue
    # with negative real part once (e/2) B sqrt(|X_yy X_zz|) tau > 1
    mat = Material(**dict(GOOD, X=np.diag([1.0, 1.0, -1.0]) / (0.041 * M_E)))
    mat.check_stable([0.01, 0, 0])  # small field: still stable
    with pytest.raises(OmmError, match=r"field\.B.*unstable"):
        mat.check_stable([5.0, 0, 0])
    with pytest.raises(OmmError, match="field.B"):
        strip_problem(mat, [5.0, 0, 0], width=2 * LM, length=2 * LM, edge_size=LM / 2)


def test_contact_validation():
    with pytest.raises(OmmError, match="contacts.source"):
        Contact("source", voltage=1.0, current=1e-6)
    with pytest.raises(OmmError, match="contacts.source"):
        Contact("source")
    with pytest.raises(OmmError, match="contacts.drain.omm"):
        Contact("drain", voltage=0.0, omm="absorbing")
    with pytest.raises(OmmError, match="contacts.drain.s"):
        Contact("drain", voltage=0.0, omm="relaxing", s=-1.0)
    with pytest.raises(OmmError, match="contacts.drain.s"):
        Contact("drain", voltage=0.0, omm="sink", s=5.0)


def test_problem_validation():
    pb = strip_problem(strip_material(), [0, 0, 0], width=2 * LM, length=2 * LM, edge_size=LM / 2)
    mat = strip_material()
    with pytest.raises(OmmError, match=r"contacts\.gate.*\['drain', 'edge', 'source'\]"):
        Problem(mesh=pb.mesh, materials=mat,
                contacts=[Contact("gate", voltage=0.0), Contact("drain", voltage=1.0)])
    with pytest.raises(OmmError, match="ground"):
        Problem(mesh=pb.mesh, materials=mat,
                contacts=[Contact("source", current=1.0), Contact("drain", current=-1.0)])
    with pytest.raises(MeshError, match=r"material\.bulk.*\['channel'\]"):
        Problem(mesh=pb.mesh, materials={"bulk": mat}, contacts=pb.contacts.values())
    with pytest.raises(OmmError, match="mesh.order"):
        Problem(mesh=pb.mesh, materials=mat, contacts=pb.contacts.values(), order=3)


def _cfg(**changes):
    cfg = copy.deepcopy(default_config())
    for path, value in changes.items():
        *head, last = path.split("__")
        node = cfg
        for h in head:
            node = node.setdefault(h, {})
        if value is KeyError:
            node.pop(last)
        else:
            node[last] = value
    return cfg


@pytest.mark.parametrize("changes,match", [
    ({"geometry__lenght": 1e-6}, r"geometry\.lenght: unknown key"),
    ({"materials": {}}, r"config\.materials: unknown key"),
    ({"geometry__width": -1e-6}, r"geometry\.width"),
    ({"geometry__width": "wide"}, r"geometry\.width"),
    ({"geometry__kind": "circle"}, r"geometry\.kind"),
    ({"material__D": KeyError}, r"material\.D: missing"),
    ({"material__tau": 0}, r"material\.tau"),
    ({"material__X_unit": "1/g"}, r"material\.X_unit"),
    ({"material__X": [[1, 0, 0], [0, 1, 0]]}, r"material\.X"),
    ({"material__X": [[1, 0.5, 0], [0, 1, 0], [0, 0, 1]]}, r"symmetric"),
    ({"field__B": [1, 0]}, r"field\.B"),
    ({"field__B": [1, float("nan"), 0]}, r"field\.B"),
    ({"mesh__order": 3}, r"mesh\.order"),
    ({"mesh__edge_size": 0}, r"mesh\.edge_size"),
    ({"mesh__max_dofs": 1000}, r"mesh\.max_dofs"),
    ({"sweep__B_T": []}, r"sweep\.B_T"),
    ({"sweep__B_T": {"start": 0, "stop": 1}}, r"sweep\.B_T\.num"),
    ({"sweep__direction": [0, 0, 0]}, r"sweep\.direction"),
    ({"contacts__gate": {"voltage": 0.0}}, r"contacts\.gate: unknown contact"),
    ({"contacts__source__omm": "absorbing"}, r"contacts\.source\.omm"),
    ({"contacts__source__voltage": 1.0}, r"contacts\.source"),
    ({"contacts__drain__resistance": 1.0}, r"contacts\.drain\.resistance: unknown key"),
    ({"solver__drift": "yes"}, r"solver\.drift"),
])
def test_config_errors_name_the_key(changes, match):
    with pytest.raises(ConfigError, match=match):
        parse_config(_cfg(**changes))


def test_config_errors_come_before_meshing(monkeypatch):
    import omm_fem.geometry as geometry

    def boom(**kw):
        raise AssertionError("meshing must not start for an invalid config")

    monkeypatch.setattr(geometry, "rectangle", boom)
    with pytest.raises(ConfigError):
        parse_config(_cfg(material__X=[[1, 0, 0], [0, 1, 0], [0, 0, -1]], field__B=[60.0, 0, 0]))


LONG = "x" * 100_000  # a value whose whole text would drown the message


@pytest.mark.parametrize("changes,match", [
    ({"geometry__length": LONG}, r"geometry\.length"),
    ({"field__B": LONG}, r"field\.B"),
    ({"field__B": [LONG, 0, 0]}, r"field\.B\[0\]"),
    ({"material__X": LONG}, r"material\.X"),
    ({"contacts__source": LONG}, r"contacts\.source"),
    ({"contacts__source__omm": LONG}, r"contacts\.source\.omm"),
    ({"geometry": {"kind": "polygon", "outline": LONG}}, r"geometry\.outline"),
    ({"geometry": {"kind": "polygon", "outline": [[0, 0], [1e-6, 0], LONG]}},
     r"geometry\.outline\[2\]"),
    ({"geometry": {"kind": "polygon", "outline": [[0, 0], [1e-6, 0], [0, 1e-6]], "holes": LONG}},
     r"geometry\.holes"),
    ({"geometry": {"kind": "polygon", "outline": [[0, 0], [1e-6, 0], [0, 1e-6]], "tags": LONG}},
     r"geometry\.tags"),
    ({"geometry": {"kind": "hall_bar", "length": 8e-6, "width": 1e-6, "arms": LONG,
                   "arm_width": 3e-7, "arm_length": 6e-7}}, r"geometry\.arms"),
    ({"geometry": {"kind": "mesh", "file": LONG}}, r"geometry\.file"),
    ({"sweep": {"B_T": LONG}}, r"sweep\.B_T"),
    ({"measure": LONG}, r"measure"),
    ({"measure": [{"name": LONG, "current": ["source", "drain"], "voltage": [LONG, "drain"]}]},
     r"measure\.x+"),
    ({"output": {"vtu_sweep_points": LONG}}, r"output\.vtu_sweep_points"),
    ({"geometry__" + LONG: 1.0}, r"geometry\.x+.* unknown key"),
    ({"contacts__" + LONG: {"voltage": 0.0}}, r"contacts\.x+.* unknown contact"),
    ({"material": {LONG: 1.0}}, r"material\.x+.* unknown key"),
])
def test_messages_shorten_long_values(changes, match):
    with pytest.raises(ConfigError, match=match) as info:
        parse_config(_cfg(**changes))
    assert "x" * 200 not in str(info.value) and len(str(info.value)) < 1000


def test_no_message_is_longer_than_the_cap():
    msg = str(OmmError("a" * 50_000 + "END"))
    assert len(msg) < MESSAGE_MAX and msg.startswith("a" * 100) and "END" in msg
    assert str(OmmError("short")) == "short"

"""sweep.csv and measurements.csv: pandas reads numbers as float64 and names as strings,
values equal results.json's to the last bit (shortest round-trip repr)."""
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd

from omm_fem.tables import measurements_table, sweep_table

FLAKE = json.loads((Path(__file__).parent / "golden" / "flake.json").read_text())


def test_sweep_csv_reads_back_with_dtypes_and_values():
    text = sweep_table(FLAKE)
    df = pd.read_csv(io.StringIO(text))
    sw = FLAKE["sweep"]
    assert list(df.columns[:4]) == ["B_T", "Bx_T", "By_T", "Bz_T"]
    assert all(df[c].dtype == np.float64 for c in df.columns)
    assert len(df) == len(sw["fields_T"])
    assert df["B_T"].tolist() == sw["B_T"]
    assert df["two_terminal.R_ohm"].tolist() == sw["resistance_ohm"]
    m = sw["measurements"]["R_c2_c4"]
    assert df["R_c2_c4.rho"].tolist() == m["rho"] and df["R_c2_c4.rho_star"].tolist() == m["rho_star"]
    assert (df["R_c2_c4.R0_ohm"] == FLAKE["measurements"]["R_c2_c4"]["R0_ohm"]).all()
    assert "0.10000000000000001" not in text and "\n0.1," in text  # short floats


def test_measurements_csv():
    df = pd.read_csv(io.StringIO(measurements_table(FLAKE)))
    assert df["name"].tolist() == ["two_terminal", "R_c2_c4"]
    assert df["voltage_plus"].tolist() == ["c1", "c2"]
    assert df["R_ohm"].dtype == np.float64 and df["rho"].dtype == np.float64
    assert df["R_ohm"].tolist() == [FLAKE["resistance_ohm"],
                                    FLAKE["measurements"]["R_c2_c4"]["R_ohm"]]


def test_undefined_values_are_empty_cells():
    res = json.loads(json.dumps(FLAKE))
    res["measurements"]["R_c2_c4"]["rho"] = None
    res["sweep"]["measurements"]["R_c2_c4"]["rho_star"] = None
    df = pd.read_csv(io.StringIO(measurements_table(res)))
    assert np.isnan(df["rho"][1])
    sw = pd.read_csv(io.StringIO(sweep_table(res)))
    assert sw["R_c2_c4.rho_star"].isna().all() and sw["R_c2_c4.rho_star"].dtype == np.float64

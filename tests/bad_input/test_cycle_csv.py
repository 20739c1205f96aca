"""Bad drive-cycle CSVs and names: SpecError naming the file, the line/column and the value."""

from __future__ import annotations

import re

import numpy as np
import pytest

from sim.cycles import DriveCycle, load_cycle
from sim.errors import SpecError


def _write(tmp_path, text, name="c.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def _raises(path, pattern):
    with pytest.raises(SpecError, match=pattern) as info:
        load_cycle(path)
    assert str(path) in str(info.value)     # the file is named
    return info.value


def test_missing_speed_column(tmp_path):
    p = _write(tmp_path, "time_s\n0\n1\n")
    _raises(p, r"line 1 \(header\) = 'time_s': columns time_s and one of speed_kmh")


def test_unknown_column(tmp_path):
    p = _write(tmp_path, "# c\ntime_s,speed_kph\n0,0\n1,1\n")
    err = _raises(p, r"line 2 \(header\), column speed_kph = 'time_s,speed_kph': unknown column")
    assert err.field.startswith("line 2")


def test_extra_column_is_refused(tmp_path):
    p = _write(tmp_path, "time_s,speed_kmh,grade\n0,0,0\n")
    _raises(p, r"column grade = 'time_s,speed_kmh,grade': unknown column")


def test_both_speed_units_refused(tmp_path):
    p = _write(tmp_path, "time_s,speed_kmh,speed_mps\n0,0,0\n")
    _raises(p, r"line 1 \(header\) = 'time_s,speed_kmh,speed_mps': columns time_s and one")


def test_non_monotonic_time(tmp_path):
    p = _write(tmp_path, "time_s,speed_kmh\n0,0\n1,2\n3,4\n2,5\n")
    _raises(p, r"line 5, column time_s = 2\.0: time must be strictly increasing "
               r"\(previous row 3 s\)")


def test_repeated_time(tmp_path):
    p = _write(tmp_path, "time_s,speed_kmh\n0,0\n1,2\n1,5\n")
    _raises(p, r"line 4, column time_s = 1\.0: time must be strictly increasing")


def test_negative_speed(tmp_path):
    p = _write(tmp_path, "time_s,speed_mps\n0,0\n1,-0.5\n")
    _raises(p, r"line 3, column speed_mps = -0\.5: speed must be >= 0")


@pytest.mark.parametrize("cell", ["nan", "inf", "-inf"])
def test_non_finite_speed(tmp_path, cell):
    p = _write(tmp_path, f"time_s,speed_kmh\n0,0\n1,{cell}\n")
    _raises(p, rf"line 3, column speed_kmh = '{cell}': a finite number")


def test_text_in_a_number_cell_is_shown_as_a_short_excerpt(tmp_path):
    junk = "x" * 500
    p = _write(tmp_path, f"time_s,speed_kmh\n0,0\n{junk},1\n")
    err = _raises(p, r"line 3, column time_s = 'x{60}\.\.\.': a number")
    assert len(str(err)) < 300


def test_wrong_number_of_cells(tmp_path):
    p = _write(tmp_path, "time_s,speed_kmh\n0,0\n1,2,3\n")
    _raises(p, r"line 3 = '1,2,3': 2 comma-separated values \(time_s, speed_kmh\)")


def test_empty_file(tmp_path):
    _raises(_write(tmp_path, ""), r"header = '\(empty file\)'")


def test_comments_only(tmp_path):
    _raises(_write(tmp_path, "# nothing\n\n# here\n"), r"header = '\(empty file\)'")


def test_header_without_rows(tmp_path):
    _raises(_write(tmp_path, "time_s,speed_kmh\n0,0\n"),
            r"line 1 = '1 data row\(s\)': at least 2 data rows")


def test_not_utf8(tmp_path):
    p = _write(tmp_path, "time_s,speed_kmh\n0,0\n# caf\xe9\n1,0\n", encoding="latin-1")
    _raises(p, r"line 3 = b'\\xe9\\n1,0\\n': file is not UTF-8 text")


def test_a_directory(tmp_path):
    _raises(tmp_path, r"file = .*: is a directory; give a CSV file")


def test_missing_file(tmp_path):
    _raises(tmp_path / "absent.csv", r"file = .*absent\.csv': no such file")


def test_unknown_cycle_name_lists_the_builtins():
    with pytest.raises(SpecError, match=re.escape(
            "cycle = 'wltc': unknown cycle; built-in cycles are hwfet, udds, us06, "
            "wltc_class3b")):
        load_cycle("wltc")


def test_drive_cycle_constructor_checks():
    with pytest.raises(SpecError, match=r"time_s\[2\] = 1\.0: must be strictly increasing"):
        DriveCycle("x", [0.0, 1.0, 1.0], [0.0, 1.0, 0.0])
    with pytest.raises(SpecError, match=r"speed_mps\[1\] = nan: must be finite and >= 0"):
        DriveCycle("x", [0.0, 1.0], [0.0, np.nan])
    with pytest.raises(SpecError, match=r"at least 2 samples"):
        DriveCycle("x", [0.0], [0.0])
    with pytest.raises(SpecError, match=r"phases\.late = \(5\.0, 20\.0\)"):
        DriveCycle("x", [0.0, 10.0], [0.0, 0.0], "", (("late", 5.0, 20.0),))

"""Unit tests of the MF 6.1 .tir reader/writer (sim.tyre.tir)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.errors import SpecError
from sim.tyre.mf61 import MF61Tyre
from sim.tyre.tir import (
    MF61_REQUIRED_KEYS,
    MF61_TIR_KEYS,
    format_tir,
    parse_tir,
    read_tir,
    write_tir,
)
from tests.conftest import ALL_TIRS as ALL_FILES
from tests.conftest import INVENTED_TIR_DIR as INVENTED_DIR
from tests.conftest import INVENTED_TIRS as INVENTED
from tests.conftest import SAMPLE_TIR as SAMPLE


def _sample_text() -> str:
    return SAMPLE.read_text()


def _write(tmp_path: Path, text: str, name: str = "edited.tir") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _replace_line(text: str, key: str, new_line: str | None, value: str = "") -> str:
    """Replace (or drop, with None) the single line defining ``key`` (value starting so)."""
    pattern = re.compile(rf"^{key}\s*=\s*{re.escape(value)}.*$", re.MULTILINE)
    assert len(pattern.findall(text)) == 1, key
    return pattern.sub("" if new_line is None else new_line, text)


# ------------------------------------------------------------------ reading


def test_sample_keys_are_kept_per_section():
    tir = read_tir(SAMPLE)
    assert tir["UNITS"]["MASS"] == "kg"
    assert tir["INERTIA"]["MASS"] == pytest.approx(17.451)
    assert tir["MODEL"]["FITTYP"] == 61
    assert tir["VERTICAL"]["FNOMIN"] == 6752
    assert tir["LATERAL_COEFFICIENTS"]["PKY1"] == pytest.approx(-28.3155)
    assert tir["MODEL"]["TYRESIDE"] == "RIGHT"
    assert tir.comments["VERTICAL"]["FNOMIN"] == "Nominal wheel load"
    assert tir.source == str(SAMPLE)


def test_sample_has_every_standard_key_it_claims():
    tir = read_tir(SAMPLE)
    assert list(tir.sections) == list(MF61_TIR_KEYS)
    for section, keys in MF61_TIR_KEYS.items():
        expected = [key for key in keys if key != "LMUV"]  # LMUV is optional
        assert list(tir[section]) == expected, section


def test_every_required_key_is_a_standard_key():
    for section, keys in MF61_REQUIRED_KEYS.items():
        assert set(keys) <= set(MF61_TIR_KEYS[section])


def test_unused_standard_keys_are_kept():
    tir = read_tir(SAMPLE)
    assert tir["TURNSLIP_COEFFICIENTS"]["QDRP1"] == 1
    assert tir["ALIGNING_COEFFICIENTS"]["QBZ10"] == pytest.approx(17.3439)
    assert tir["CONTACT_PATCH"]["ELLIPS_NLENGTH"] == 10


# ------------------------------------------------------------------ round trip


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_round_trip_gives_identical_values_and_text(path, tmp_path):
    first = read_tir(path)
    out = tmp_path / path.name
    write_tir(first, out)
    second = read_tir(out)
    assert second.sections == first.sections
    for section, entries in first.sections.items():
        for key, value in entries.items():
            assert type(second[section][key]) is type(value), (section, key)
    assert second.comments == first.comments
    assert second.notes == first.notes
    assert format_tir(second) == out.read_text()


def test_written_sample_keeps_the_layout():
    text = format_tir(read_tir(SAMPLE))
    assert "FNOMIN                   =    6752           $Nominal wheel load\n" in text
    assert "LENGTH                   =    'meter'\n" in text
    assert "$------------------------------------------------------------------Vertical\n" \
        "[VERTICAL]\n" in text
    # every original non-blank line comes back, except numbers re-written shortest form
    original = [line.rstrip() for line in SAMPLE.read_text().splitlines() if line.strip()]
    written = text.splitlines()
    assert len(written) == len(original)
    differing = [(a, b) for a, b in zip(original, written, strict=True) if a != b]
    assert differing == [(
        "DAMP_VLOW                =    0.0010         $Additional low speed damping "
        "(proportional to stiffness)",
        "DAMP_VLOW                =    0.001          $Additional low speed damping "
        "(proportional to stiffness)",
    )]


def test_mf61_tyre_to_tir_round_trip(tmp_path):
    tyre = MF61Tyre.from_tir(SAMPLE)
    out = tmp_path / "copy.tir"
    tyre.to_tir(out)
    again = MF61Tyre.from_tir(out)
    assert (again.parameters == tyre.parameters).all()
    assert again.tir.sections == tyre.tir.sections


def test_with_values_changes_only_what_is_asked():
    tir = read_tir(SAMPLE)
    edited = tir.with_values({("VERTICAL", "FNOMIN"): 4000.0,
                              ("SCALING_COEFFICIENTS", "LMUV"): 0})
    assert edited["VERTICAL"]["FNOMIN"] == 4000.0
    assert edited["SCALING_COEFFICIENTS"]["LMUV"] == 0
    assert tir["VERTICAL"]["FNOMIN"] == 6752
    changed = {(s, k) for s, e in edited.sections.items() for k in e
               if tir.sections[s].get(k) != e[k]}
    assert changed == {("VERTICAL", "FNOMIN"), ("SCALING_COEFFICIENTS", "LMUV")}


def test_sections_are_read_only():
    tir = read_tir(SAMPLE)
    with pytest.raises(TypeError):
        tir["VERTICAL"]["FNOMIN"] = 1.0  # type: ignore[index]


# ------------------------------------------------------------------ invented files


@pytest.mark.parametrize("name", INVENTED)
def test_invented_files_say_so_and_name_their_origin(name):
    text = (INVENTED_DIR / name).read_text()
    head = text.split("[MDI_HEADER]")[0]
    assert "INVENTED" in head
    assert "MFeval" in head and "MagicFormula61_Parameters.tir" in head
    assert "Marco Furlan" in head


@pytest.mark.parametrize("name", INVENTED)
def test_invented_files_changes_are_all_listed(name):
    """The header lists every key that differs from the sample, with both values."""
    sample = read_tir(SAMPLE)
    invented = read_tir(INVENTED_DIR / name)
    head = (INVENTED_DIR / name).read_text().split("[MDI_HEADER]")[0]
    listed = set(re.findall(r"^\$\s+\[(\w+)\] (\w+): ", head, re.MULTILINE))
    differing = {(s, k) for s, e in invented.sections.items() for k, v in e.items()
                 if sample[s][k] != v}
    assert listed == differing
    assert ("VERTICAL", "FNOMIN") in differing


# ------------------------------------------------------------------ bad input


def test_unknown_key_is_rejected_with_file_section_key_and_value(tmp_path):
    text = _replace_line(_sample_text(), "PCX1",
                         "PCX1 = 1.5482\nPCX9                     =    0.5   $typo")
    path = _write(tmp_path, text)
    with pytest.raises(SpecError, match=re.escape(
            f"{path}: LONGITUDINAL_COEFFICIENTS.PCX9 = 0.5: not a key of the MF 6.1 "
            "[LONGITUDINAL_COEFFICIENTS] section")):
        read_tir(path)


def test_key_of_another_section_is_rejected(tmp_path):
    # FNOMIN is a standard key, but of [VERTICAL], not of [DIMENSION]
    text = _replace_line(_sample_text(), "WIDTH", "WIDTH = 0.255\nFNOMIN = 5000")
    with pytest.raises(SpecError, match=r"DIMENSION\.FNOMIN = 5000: not a key of the MF 6\.1 "
                                        r"\[DIMENSION\] section"):
        read_tir(_write(tmp_path, text))


def test_unknown_section_is_rejected(tmp_path):
    text = _sample_text() + "[TYRE_COLOUR]\nRED = 1\n"
    with pytest.raises(SpecError, match=r"\[TYRE_COLOUR\].*not a section of an MF 6\.1"):
        read_tir(_write(tmp_path, text))


@pytest.mark.parametrize(("section", "key"), [
    ("LATERAL_COEFFICIENTS", "PKY1"),
    ("VERTICAL", "FNOMIN"),
    ("SCALING_COEFFICIENTS", "LMUY"),
    ("LONGITUDINAL_COEFFICIENTS", "RBX3"),
])
def test_missing_required_key_is_named(tmp_path, section, key):
    path = _write(tmp_path, _replace_line(_sample_text(), key, None))
    with pytest.raises(SpecError, match=re.escape(
            f"{path}: {section}.{key} = (missing): required key is missing")):
        read_tir(path)


def test_missing_unused_key_is_fine(tmp_path):
    tir = read_tir(_write(tmp_path, _replace_line(_sample_text(), "QSX1", None)))
    assert "QSX1" not in tir["OVERTURNING_COEFFICIENTS"]


@pytest.mark.parametrize(("key", "bad"), [
    ("LENGTH", "'mm'"), ("FORCE", "'kN'"), ("ANGLE", "'deg'"), ("MASS", "'lb'"),
    ("TIME", "'millisecond'"),
])
def test_non_si_units_are_rejected(tmp_path, key, bad):
    text = _replace_line(_sample_text(), key, f"{key} = {bad}", value="'")
    with pytest.raises(SpecError, match=rf"UNITS\.{key} = {bad}: only SI units"):
        read_tir(_write(tmp_path, text))


def test_units_are_case_insensitive(tmp_path):
    text = _replace_line(_sample_text(), "LENGTH", "LENGTH = 'METER'")
    assert read_tir(_write(tmp_path, text))["UNITS"]["LENGTH"] == "METER"


@pytest.mark.parametrize("fittyp", ["62", "6", "21", "'61'"])
def test_wrong_fittyp_is_rejected(tmp_path, fittyp):
    text = _replace_line(_sample_text(), "FITTYP", f"FITTYP = {fittyp}")
    with pytest.raises(SpecError, match=rf"MODEL\.FITTYP = {fittyp}: must be 61"):
        read_tir(_write(tmp_path, text))


def test_missing_fittyp_is_rejected(tmp_path):
    text = _replace_line(_sample_text(), "FITTYP", None)
    with pytest.raises(SpecError, match=r"MODEL\.FITTYP = \(missing\)"):
        read_tir(_write(tmp_path, text))


def test_required_key_must_be_a_number(tmp_path):
    text = _replace_line(_sample_text(), "PDY1", "PDY1 = 'high'")
    with pytest.raises(SpecError, match=r"LATERAL_COEFFICIENTS\.PDY1 = 'high': must be a "
                                        r"finite number"):
        read_tir(_write(tmp_path, text))


def test_unparseable_number_is_rejected(tmp_path):
    text = _replace_line(_sample_text(), "PDY2", "PDY2 = -0.13.2")
    with pytest.raises(SpecError, match=r"LATERAL_COEFFICIENTS\.PDY2 = '-0\.13\.2': must be "
                                        r"a number"):
        read_tir(_write(tmp_path, text))


@pytest.mark.parametrize(("key", "bad"), [("FNOMIN", "0"), ("NOMPRES", "-1"),
                                          ("LFZO", "0")])
def test_nominal_values_must_be_positive(tmp_path, key, bad):
    text = _replace_line(_sample_text(), key, f"{key} = {bad}")
    with pytest.raises(SpecError, match=rf"\.{key} = {bad}: must be > 0"):
        read_tir(_write(tmp_path, text))


def test_speed_dependent_friction_is_refused(tmp_path):
    text = _replace_line(_sample_text(), "LMP", "LMP = 1\nLMUV = 0.1")
    with pytest.raises(SpecError, match=r"SCALING_COEFFICIENTS\.LMUV = 0\.1: must be 0"):
        read_tir(_write(tmp_path, text))


def test_duplicate_key_is_rejected(tmp_path):
    text = _replace_line(_sample_text(), "PCY1", "PCY1 = 1.4\nPCY1 = 1.5")
    with pytest.raises(SpecError, match=r"LATERAL_COEFFICIENTS\.PCY1 = 1\.5: key appears "
                                        r"twice"):
        read_tir(_write(tmp_path, text))


def test_malformed_line_is_rejected_with_line_number(tmp_path):
    text = _sample_text().replace("[VERTICAL]", "[VERTICAL]\nthis is not a key")
    with pytest.raises(SpecError, match=r"line \d+ = 'this is not a key': expected"):
        read_tir(_write(tmp_path, text))


def test_spec_error_is_a_value_error_with_fields(tmp_path):
    path = _write(tmp_path, _replace_line(_sample_text(), "PKY1", None))
    with pytest.raises(ValueError) as info:
        read_tir(path)
    assert isinstance(info.value, SpecError)
    assert info.value.source == str(path)
    assert info.value.field == "LATERAL_COEFFICIENTS.PKY1"


def test_parse_tir_names_the_given_source():
    text = _replace_line(_sample_text(), "PKY1", None)
    with pytest.raises(SpecError, match=r"^my-string: LATERAL_COEFFICIENTS\.PKY1"):
        parse_tir(text, source="my-string")


def test_with_values_validates_the_copy():
    tir = read_tir(SAMPLE)
    with pytest.raises(SpecError, match=r"VERTICAL\.FNOMINAL = 1: not a key of the MF 6\.1 "
                                        r"\[VERTICAL\] section"):
        tir.with_values({("VERTICAL", "FNOMINAL"): 1})

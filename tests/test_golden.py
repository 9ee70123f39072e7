"""Golden records: every fixture's extracted record, spans included, kept as JSON.

``tests/golden/{seeds,real}/NAME.json`` holds the record that
``kehoach.pipeline.process_file`` gave for ``tests/fixtures/{seeds,real}/NAME.*``
when the file was last regenerated. This is a regression net, not a claim of
correctness: the files were generated from the extractor as it stood, and are
regenerated on purpose as its accuracy improves. Any change in any field (a span
moved by one character included) fails here with a readable diff of the first
differing fields, so that each change in output is seen and accepted, not
slipped in.

Regenerate, after reading the diff::

    KEHOACH_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py

and commit the changed files. While the flag is set, :func:`test_regen_flag_is_off`
fails, so a CI run with the flag left on cannot pass.

What *is* correct lives in ``tests/fixtures/gold`` (hand-made records): the score
tests at the end extract the fixtures and score them against those with
:func:`kehoach.evaluate.score_records`, with floors to be raised as the extractor
improves.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path

import pytest

from kehoach.evaluate import format_table, score_records
from kehoach.pipeline import process_file

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
GOLDEN = ROOT / "tests" / "golden"
GROUPS = ("seeds", "real")
REGEN_FLAG = "KEHOACH_REGEN_GOLDEN"
REGEN = os.environ.get(REGEN_FLAG, "") not in ("", "0")

FIXTURE_FILES = {
    f"{group}/{p.stem}": p
    for group in GROUPS
    for p in sorted((FIXTURES / group).iterdir())
    if p.is_file()
}

MAX_DIFFS_SHOWN = 15


@lru_cache(maxsize=None)
def record_json(name: str) -> dict:
    """The record of fixture ``name`` ("seeds/001_…") as JSON, extracted once per run.

    ``source.path`` is written relative to tests/fixtures so the file is the same on
    every machine; everything else is ``to_json_dict()`` as the CLI prints it.
    """
    path = FIXTURE_FILES[name]
    record, _ = process_file(path)
    data = record.to_json_dict()
    data["source"]["path"] = path.relative_to(FIXTURES).as_posix()
    # a JSON round trip, so that tuples (spans) compare as the lists read back from disk
    return json.loads(json.dumps(data, ensure_ascii=False))


def golden_path(name: str) -> Path:
    return GOLDEN / f"{name}.json"


_SPAN_LINES = re.compile(r"\[\s*(\d+),\s*(\d+)\s*\]")


def dump(data: dict) -> str:
    """Indented JSON with each span on one line ("[12, 40]"), so a moved span is a one-line diff."""
    return _SPAN_LINES.sub(r"[\1, \2]", json.dumps(data, ensure_ascii=False, indent=1)) + "\n"


# --- a readable diff ---------------------------------------------------------------------------


def _short(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 140 else text[:137] + "..."


def differences(expected, actual, path: str = "$"):
    """Yield one line per differing leaf: ``path: golden X, now Y``, in document order."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in list(expected) + [k for k in actual if k not in expected]:
            sub = f"{path}.{key}"
            if key not in actual:
                yield f"{sub}: golden {_short(expected[key])}, now missing"
            elif key not in expected:
                yield f"{sub}: not in golden, now {_short(actual[key])}"
            else:
                yield from differences(expected[key], actual[key], sub)
    elif isinstance(expected, list) and isinstance(actual, list):
        for i, (e, a) in enumerate(zip(expected, actual)):
            yield from differences(e, a, f"{path}[{i}]")
        if len(expected) != len(actual):
            extra = actual[len(expected):] or expected[len(actual):]
            which = "now has" if len(actual) > len(expected) else "golden had"
            yield (f"{path}: {len(expected)} items in golden, {len(actual)} now; {which} "
                   f"{_short(extra[0])}{' …' if len(extra) > 1 else ''}")
    elif expected != actual:
        yield f"{path}: golden {_short(expected)}, now {_short(actual)}"


# --- tests ------------------------------------------------------------------------------------


def test_regen_flag_is_off():
    """Fails while KEHOACH_REGEN_GOLDEN is set: a run that rewrites the golden files proves nothing."""
    assert not REGEN, (
        f"{REGEN_FLAG} is set: the golden files were rewritten from the current extractor. "
        f"Review `git diff tests/golden`, commit, and run again without {REGEN_FLAG}."
    )


@pytest.mark.parametrize("name", sorted(FIXTURE_FILES))
def test_golden(name):
    actual = record_json(name)
    path = golden_path(name)
    if REGEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump(actual), encoding="utf-8")
    assert path.is_file(), f"no golden file {path.relative_to(ROOT)}; create it with {REGEN_FLAG}=1"
    expected = json.loads(path.read_text(encoding="utf-8"))
    diffs = list(differences(expected, actual))
    if diffs:
        shown = "\n  ".join(diffs[:MAX_DIFFS_SHOWN])
        more = f"\n  … and {len(diffs) - MAX_DIFFS_SHOWN} more" if len(diffs) > MAX_DIFFS_SHOWN else ""
        pytest.fail(
            f"{name}: the record differs from {path.relative_to(ROOT)} in {len(diffs)} place(s):\n"
            f"  {shown}{more}\n"
            f"If the change is intended (an improvement), regenerate: "
            f"{REGEN_FLAG}=1 .venv/bin/python -m pytest tests/test_golden.py",
            pytrace=False,
        )


def test_no_stale_golden_files():
    """Every golden file belongs to a fixture (a renamed or removed fixture leaves none behind)."""
    stale = sorted(
        p.relative_to(GOLDEN).with_suffix("").as_posix()
        for p in GOLDEN.rglob("*.json")
        if p.relative_to(GOLDEN).with_suffix("").as_posix() not in FIXTURE_FILES
    )
    if REGEN:
        for name in stale:
            golden_path(name).unlink()
        stale = []
    assert stale == [], f"golden files without a fixture: {stale}"


@pytest.mark.parametrize(
    "expected, actual, lines",
    [
        ({"a": 1, "b": [1, 2]}, {"a": 1, "b": [1, 2]}, []),
        ({"number": "4639/KH-UBND-NV"}, {"number": None}, ['$.number: golden "4639/KH-UBND-NV", now null']),
        ({"dates": [{"span": [1, 5]}]}, {"dates": [{"span": [1, 6]}]}, ["$.dates[0].span[1]: golden 5, now 6"]),
        ({"x": [1]}, {"x": [1, 2, 3]}, ["$.x: 1 items in golden, 3 now; now has 2 …"]),
        ({"x": 1}, {}, ["$.x: golden 1, now missing"]),
        ({}, {"y": "z"}, ['$.y: not in golden, now "z"']),
    ],
)
def test_differences_reads_well(expected, actual, lines):
    assert list(differences(expected, actual)) == lines


# --- scores against the hand-made gold ------------------------------------------------------

SEED_FIELD_FLOORS = {
    "header.number": 0.90,
    "header.issuer": 0.90,
    "header.issued_date": 0.90,
    "header.title": 0.90,
    "header.signer.name": 0.90,
    "legal_bases": 0.90,
    "dates": 0.90,
    "events": 0.90,
    "assignments.assignee": 0.90,
    "assignments.tasks": 0.90,
    "deadlines": 0.90,
    "recipients": 0.90,
    # Lower floors because of annotation choices in the gold, not extraction errors: gold 002
    # lists as references only the six documents of its bulleted list, not the four the plan
    # cites in a heading and in parentheses (217-QĐ/TW, 19-CT/TU, 1374-QĐ/TU, 5157/QĐ-UBND),
    # which the spec's "cited anywhere outside the preamble" includes; and the gold trims or
    # groups participant lines by judgement (001 drops a parenthesised note). Raise when the
    # gold is settled.
    "participants": 0.75,
    "references": 0.75,
}
SEED_MACRO_FLOOR = 0.95
# A floor, not a target: the real documents (layout text, tables, Word numbering) are where
# the extractor is weakest today. Raise it as accuracy improves.
REAL_MACRO_FLOOR = 0.94  # 0.954 in session 5 (referee on the 11 real gold records)


def scores(group: str) -> dict:
    gold_dir = FIXTURES / "gold" / group
    pairs = []
    for gold_file in sorted(gold_dir.glob("*.json")):
        name = f"{group}/{gold_file.stem}"
        assert name in FIXTURE_FILES, f"gold record {gold_file.name} has no fixture in tests/fixtures/{group}"
        pairs.append((gold_file.stem, json.loads(gold_file.read_text(encoding="utf-8")), record_json(name)))
    assert pairs, f"no gold records in {gold_dir}"
    return score_records(pairs)


def check_floors(group: str, field_floors: dict[str, float], macro_floor: float) -> None:
    """The group's scores reach each field's floor and the macro floor; the failure shows the table."""
    result = scores(group)
    table = format_table(result, verbose=True)
    f1 = {field: row[2] for field, row in result["fields"].items()}
    below = {field: round(f1.get(field, 0.0), 3) for field, floor in field_floors.items()
             if f1.get(field, 0.0) < floor}
    assert not below, f"fields below their floor on {group}: {below}\n{table}"
    assert result["macro_f1"] >= macro_floor, table


def test_seed_scores():
    check_floors("seeds", SEED_FIELD_FLOORS, SEED_MACRO_FLOOR)


# session 5: deadlines 0.962 (0.886 before deadline owners were read in sentences); events 1.000 (0.857
# before schedule tables in layout text); header.issued_date 1.000 (0.818 before signing dates)
REAL_FIELD_FLOORS = {"deadlines": 0.95, "events": 0.95, "header.issued_date": 0.95}


def test_real_scores():
    check_floors("real", REAL_FIELD_FLOORS, REAL_MACRO_FLOOR)

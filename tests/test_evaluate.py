"""Scoring (kehoach.evaluate) and the vocabulary tables behind it (kehoach.vocab).

The scores must agree with the referee ``../shared/eval/score.py``, which is run
as a subprocess on perturbed copies of the gold records; it stays outside the
repository on purpose (it is the referee), so those tests skip where it is absent.
"""

from __future__ import annotations

import copy
import json
import os
import random
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from kehoach import vocab
from kehoach.evaluate import (
    MACRO_FIELDS,
    citation_key,
    date_ends,
    date_value,
    evaluate,
    find_input,
    format_table,
    fuzzy_eq,
    key_number,
    match_greedy,
    normalize_for_compare,
    prf,
    score_records,
)

ROOT = Path(__file__).resolve().parents[1]
GOLD_DIRS = [ROOT / "tests" / "fixtures" / "gold" / "seeds", ROOT / "tests" / "fixtures" / "gold" / "real"]
INPUT_DIRS = [ROOT / "tests" / "fixtures" / "seeds", ROOT / "tests" / "fixtures" / "real"]
REFEREE = Path(os.environ.get("KEHOACH_REFEREE", ROOT.parent / "shared" / "eval" / "score.py"))

needs_referee = pytest.mark.skipif(
    not REFEREE.is_file(),
    reason=(
        f"referee {REFEREE} not found (it lives in ../shared/eval beside the repository; "
        "set KEHOACH_REFEREE to point elsewhere)"
    ),
)


def load_gold() -> dict[str, dict]:
    files = sorted((f for d in GOLD_DIRS for f in d.glob("*.json")), key=lambda f: f.name)
    return {f.stem: json.loads(f.read_text(encoding="utf-8")) for f in files}


GOLD = load_gold()


# --- perturbations of gold records into predictions ---------------------------

LIST_FIELDS = ("legal_bases", "references", "events", "participants", "assignments", "deadlines", "recipients", "dates")

# Full form -> abbreviation, as documents write them (the reverse of the expansion).
ABBREVIATE = [
    ("Ủy ban Mặt trận Tổ quốc", "UBMTTQ"),
    ("Ủy ban nhân dân", "UBND"),
    ("Mặt trận Tổ quốc", "MTTQ"),
    ("Hội đồng nhân dân", "HĐND"),
    ("Ban Thường trực", "BTT."),
    ("Việt Nam", "VN"),
    ("Ủy ban", "UB"),
    ("Thành phố", "TP"),
    ("thành phố", "TP."),
    ("cải cách hành chính", "CCHC"),
    ("thủ tục hành chính", "TTHC"),
    ("Văn phòng", "VP"),
    ("Thường trực", "TT"),
    ("Ban Chỉ đạo", "BCĐ"),  # the referee does not expand this one: neither may we
]

OLD_TONES = [
    ("ủy", "uỷ"), ("Ủy", "Uỷ"), ("òa", "oà"), ("óa", "oá"), ("ọa", "oạ"), ("ỏe", "oẻ"), ("úy", "uý"), ("ùy", "uỳ"),
]


def map_strings(obj, f):
    if isinstance(obj, str):
        return f(obj)
    if isinstance(obj, list):
        return [map_strings(x, f) for x in obj]
    if isinstance(obj, dict):
        return {k: map_strings(v, f) for k, v in obj.items()}
    return obj


def drop_items(rec, rng):
    for field in LIST_FIELDS:
        if isinstance(rec.get(field), list):
            rec[field] = [x for x in rec[field] if rng.random() > 0.3]
    for a in rec.get("assignments") or []:
        a["tasks"] = [t for t in a.get("tasks") or [] if rng.random() > 0.3]
    for d in rec.get("deadlines") or []:
        d["assignees"] = [x for x in d.get("assignees") or [] if rng.random() > 0.5]
    return rec


def shift(value, rng):
    """Move a date (or one end of a range) by a few days or months."""
    if not value:
        return rng.choice([None, "2024-01-01"])
    parts = value.split("/")
    i = rng.randrange(len(parts))
    m = re.match(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", parts[i])
    if m and m.group(3):
        parts[i] = f"{m.group(1)}-{m.group(2)}-{(int(m.group(3)) % 27) + 1:02d}" + parts[i][10:]
    elif m and m.group(2):
        parts[i] = f"{m.group(1)}-{(int(m.group(2)) % 12) + 1:02d}"
    else:
        parts[i] = str(int(parts[i][:4]) + 1) if parts[i][:4].isdigit() else "2030"
    return "/".join(parts)


def alter_dates(rec, rng):
    if rng.random() < 0.6:
        rec["issued_date"] = shift(rec.get("issued_date"), rng)
    for d in rec.get("dates") or []:
        if rng.random() < 0.3:
            d["value"] = shift(d["value"], rng)
    for e in rec.get("events") or []:
        r = rng.random()
        if r < 0.3:
            e["start"] = shift(e.get("start"), rng)
        elif r < 0.5 and e.get("start") and "T" not in e["start"]:
            e["start"] += "T08:00"  # a time of day is ignored
    for d in rec.get("deadlines") or []:
        if rng.random() < 0.3:
            d["date"] = shift(d.get("date"), rng)
    for c in (rec.get("legal_bases") or []) + (rec.get("references") or []):
        if rng.random() < 0.3:
            c["date"] = shift(c.get("date"), rng)
        if rng.random() < 0.2:
            c["relation"] = rng.choice(["can_cu", "thuc_hien", None])
    return rec


def change_numbers(rec, rng):
    def variant(n):
        r = rng.random()
        if not n or r < 0.3:
            return rng.choice([None, "", "99/KH-UBND"])
        if r < 0.5:
            return re.sub(r"\d", lambda m: str((int(m.group()) + 1) % 10), n, count=1)
        if r < 0.7:
            return " " + n.lower().replace("/", " / ").replace("đ", "d")  # same key
        return n

    rec["number"] = variant(rec.get("number"))
    for c in (rec.get("legal_bases") or []) + (rec.get("references") or []):
        if rng.random() < 0.4:
            c["number"] = variant(c.get("number"))
        if rng.random() < 0.1:
            c["doc_type"] = (c.get("doc_type") or "").upper() or "Luật"
    return rec


def abbreviate(rec, rng):
    def f(s):
        for full, abbr in ABBREVIATE:
            if rng.random() < 0.8:
                s = s.replace(full, abbr)
        return s

    return map_strings(rec, f)


def old_tones(rec, rng):
    def f(s):
        for new, old in OLD_TONES:
            s = s.replace(new, old)
        return s

    return map_strings(rec, f)


def markup(rec, rng):
    def f(s):
        r = rng.random()
        if r < 0.15:
            return f"**{s}**"
        if r < 0.3:
            return f"“{s}”;"
        if r < 0.4:
            return s.replace(" - ", " – ").replace("-", "—")
        return s

    for field in ("issuer", "title", "place", "participants", "recipients", "assignments"):
        if field in rec:
            rec[field] = map_strings(rec[field], f)
    return rec


def reshape(rec, rng):
    """The same content in the other shapes the scorer accepts (and some it ignores)."""
    if rec.get("issuer") and rng.random() < 0.5:
        rec["issuer"] = {"name": None, "normalized": rec["issuer"]}
    rec["recipients"] = [
        {"name": r} if isinstance(r, str) and rng.random() < 0.5 else r for r in rec.get("recipients") or []
    ]
    rec["participants"] = [
        p["name"] if isinstance(p, dict) and rng.random() < 0.5 else p for p in rec.get("participants") or []
    ]
    for a in rec.get("assignments") or []:
        if rng.random() < 0.5:
            a["assignee"] = {"name": a.get("assignee")}
        a["tasks"] = [{"text": t} if rng.random() < 0.5 else t for t in a.get("tasks") or []]
    for d in rec.get("deadlines") or []:
        d["assignees"] = [{"name": x} if rng.random() < 0.5 else x for x in d.get("assignees") or []]
    rec["dates"] = [d["value"] if isinstance(d, dict) and rng.random() < 0.5 else d for d in rec.get("dates") or []]
    if rng.random() < 0.3:
        rec["signer"] = rng.choice([None, "Nguyễn Văn A", {"name": None}])
    rec.setdefault("events", []).append("not an event")
    rec.setdefault("legal_bases", []).append(["not", "a", "citation"])
    rec.setdefault("assignments", []).append(42)
    return rec


def reword(rec, rng):
    """Drop or add words so that some names fall on either side of the fuzzy thresholds."""

    def f(s):
        if not isinstance(s, str):  # reshaped already ({"text": ...}): leave it
            return s
        words = s.split()
        r = rng.random()
        if r < 0.3 and len(words) > 2:
            del words[rng.randrange(len(words))]
        elif r < 0.5:
            words += rng.sample(["và", "các", "đơn vị", "liên quan", "trên địa bàn"], 2)
        elif r < 0.6:
            words = words[: max(1, len(words) // 2)]
        return " ".join(words)

    for field in ("issuer", "title", "place"):
        if isinstance(rec.get(field), str):
            rec[field] = f(rec[field])
    if isinstance(rec.get("signer"), dict) and rec["signer"].get("name") and rng.random() < 0.3:
        rec["signer"]["name"] = f(rec["signer"]["name"])
    rec["participants"] = [
        dict(p, name=f(p["name"])) if isinstance(p, dict) else p for p in rec.get("participants") or []
    ]
    rec["recipients"] = [f(r) if isinstance(r, str) else r for r in rec.get("recipients") or []]
    for a in rec.get("assignments") or []:
        a["assignee"] = f(a["assignee"]) if isinstance(a.get("assignee"), str) else a.get("assignee")
        a["tasks"] = [f(t) for t in a.get("tasks") or []]
    return rec


def shuffle(rec, rng):
    for field in LIST_FIELDS:
        if isinstance(rec.get(field), list):
            rng.shuffle(rec[field])
    return rec


def add_spurious(rec, rng):
    for field in LIST_FIELDS:
        items = rec.get(field)
        if isinstance(items, list) and items and rng.random() < 0.7:
            items.extend(copy.deepcopy(rng.choices(items, k=rng.randint(1, 3))))
    rec.setdefault("dates", []).append({"text": "x", "value": "2031-02-03/2031-Q2"})
    rec.setdefault("references", []).append({"number": "1/QĐ-TTg", "date": "2020-01-01"})
    return rec


PERTURBATIONS = {
    f.__name__: f
    for f in (
        drop_items, alter_dates, change_numbers, abbreviate, old_tones, markup, reshape, reword, shuffle, add_spurious
    )
}

# Special predictions: how they are written to the referee's folder, and what score_records gets.
MISSING, EMPTY, NOT_A_DICT, BAD_JSON = "missing", "empty", "not_a_dict", "bad_json"


def make_scenario(kind: str, seed: int = 0) -> tuple[dict[str, dict], dict[str, object]]:
    """Gold records and predictions for one scenario; a prediction is a dict or a special marker."""
    rng = random.Random(f"{kind}:{seed}")
    gold = copy.deepcopy(GOLD)
    preds: dict[str, object] = {}
    names = list(gold)
    for name in names:
        rec = copy.deepcopy(gold[name])
        if kind == "identity":
            pass
        elif kind in PERTURBATIONS:
            rec = PERTURBATIONS[kind](rec, rng)
        elif kind == "mixed":
            chosen = rng.sample(list(PERTURBATIONS.values()), rng.randint(1, 5))
            # reshape leaves items the other perturbations do not expect: it goes last
            for f in sorted(chosen, key=lambda f: f is reshape):
                rec = f(rec, rng)
        elif kind == "gold_fields_dropped":
            # A field absent from a gold record is not scored for that document.
            for field in rng.sample(sorted(gold[name]), rng.randint(1, 6)):
                del gold[name][field]
            rec = drop_items(rec, rng)
        else:
            raise ValueError(kind)
        preds[name] = rec
    if kind == "mixed":
        for name, special in zip(rng.sample(names, 4), (MISSING, EMPTY, NOT_A_DICT, BAD_JSON)):
            preds[name] = special
    return gold, preds


SCENARIOS = (
    [("identity", 0), ("gold_fields_dropped", 0), ("gold_fields_dropped", 1)]
    + [(name, seed) for name in PERTURBATIONS for seed in (0, 1)]
    + [("mixed", seed) for seed in range(6)]
)


def write_scenario(tmp_path: Path, gold: dict, preds: dict) -> tuple[Path, Path, list]:
    gold_dir, pred_dir = tmp_path / "gold", tmp_path / "pred"
    gold_dir.mkdir()
    pred_dir.mkdir()
    pairs = []
    for name, g in gold.items():
        (gold_dir / f"{name}.json").write_text(json.dumps(g, ensure_ascii=False), encoding="utf-8")
        p = preds[name]
        if p == MISSING:
            pairs.append((name, g, None))
            continue
        text = {EMPTY: "{}", NOT_A_DICT: "[1, 2]", BAD_JSON: "{not json"}.get(p) if isinstance(p, str) else None
        (pred_dir / f"{name}.json").write_text(text or json.dumps(p, ensure_ascii=False), encoding="utf-8")
        pairs.append((name, g, {} if p == BAD_JSON else (json.loads(text) if text else p)))
    return gold_dir, pred_dir, pairs


def run_referee(gold_dir: Path, pred_dir: Path, *flags: str) -> str:
    done = subprocess.run(
        [sys.executable, str(REFEREE), str(gold_dir), str(pred_dir), *flags],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    )
    return done.stdout


# --- (a) agreement with the referee ------------------------------------------


@needs_referee
@pytest.mark.parametrize(("kind", "seed"), SCENARIOS, ids=[f"{k}-{s}" for k, s in SCENARIOS])
def test_agrees_with_referee(tmp_path, kind, seed):
    gold, preds = make_scenario(kind, seed)
    gold_dir, pred_dir, pairs = write_scenario(tmp_path, gold, preds)
    out = run_referee(gold_dir, pred_dir, "--json")
    # --json prints the JSON object, then 'macro_f1 X' on the last line.
    ref = json.loads(out.rsplit("\nmacro_f1", 1)[0])
    ours = score_records(pairs)

    assert sorted(ours["fields"]) == sorted(ref["fields"])
    for field, ref_row in ref["fields"].items():
        row = ours["fields"][field]
        assert row[3:] == ref_row[3:], f"{field}: counts (tp, pred, gold) {row[3:]} != referee {ref_row[3:]}"
        assert row[:3] == pytest.approx(ref_row[:3], abs=0.01), field
    assert ours["macro_f1"] == pytest.approx(ref["macro_f1"], abs=0.01)
    assert sorted(ours["notes"]) == sorted(ref["notes"])
    assert [n for n, notes in ours["notes"].items() if notes == ["no prediction"]] == [
        n for n, notes in ref["notes"].items() if notes == ["no prediction"]
    ]


@needs_referee
def test_perturbations_move_the_scores():
    # Guards the agreement test against perturbations that change nothing.
    macros = {kind: score_records((n, GOLD[n], p) for n, p in make_scenario(kind)[1].items())["macro_f1"]
              for kind in ("drop_items", "alter_dates", "reword", "add_spurious")}
    assert all(m < 0.99 for m in macros.values()), macros


@needs_referee
def test_format_table_matches_referee_text(tmp_path):
    gold, preds = make_scenario("mixed", 3)
    gold_dir, pred_dir, pairs = write_scenario(tmp_path, gold, preds)
    assert format_table(score_records(pairs)) == run_referee(gold_dir, pred_dir).rstrip("\n")


# --- (c) a perfect prediction ------------------------------------------------


@pytest.mark.parametrize("name", sorted(GOLD))
def test_gold_against_itself_is_perfect(name):
    result = score_records([(name, GOLD[name], copy.deepcopy(GOLD[name]))])
    assert result["macro_f1"] == 1.0
    assert all(row[2] == 1.0 for row in result["fields"].values()), result["fields"]
    assert result["notes"] == {name: []}


def test_all_gold_against_itself_is_perfect():
    result = score_records((n, g, copy.deepcopy(g)) for n, g in GOLD.items())
    assert result["macro_f1"] == 1.0
    assert set(MACRO_FIELDS) <= set(result["fields"])


def test_missing_prediction_is_an_empty_record():
    name, g = next(iter(GOLD.items()))
    missing = score_records([(name, g, None)])
    empty = score_records([(name, g, {})])
    assert missing["fields"] == empty["fields"]
    assert missing["notes"] == {name: ["no prediction"]}
    assert missing["macro_f1"] < 0.5


def test_field_absent_from_gold_is_not_scored():
    gold = {"number": "1/KH-UBND", "dates": []}
    pred = {"title": "x", "dates": [{"value": "2020-01-02"}]}
    result = score_records([("x", gold, pred)])
    assert sorted(result["fields"]) == ["dates", "header.number"]
    assert result["fields"]["header.number"] == [0.0, 0.0, 0.0, 0, 1, 1]
    assert result["fields"]["dates"][3:] == [0, 1, 0]
    assert result["macro_f1"] == 0.0


def test_legal_basis_sub_scores():
    gold = {"legal_bases": [
        {"relation": "can_cu", "number": "04/2012/TT-BNV", "date": "2012-08-31"},
        {"relation": "thuc_hien", "doc_type": "Luật", "number": None, "date": "2022-11-10"},
    ]}
    pred = {"legal_bases": [
        {"relation": "thuc_hien", "number": "04/2012/tt-bnv", "date": "2012-08-30"},
        {"relation": "thuc_hien", "doc_type": "luật", "date": "2022-11-10"},
        {"number": "1/QĐ-UBND"},
    ]}
    f = score_records([("x", gold, pred)])["fields"]
    assert f["legal_bases"][3:] == [2, 3, 2]
    assert f["legal_bases.date|matched"][3:] == [1, 2, 2]
    assert f["legal_bases.relation|matched"][3:] == [1, 2, 2]


def test_deadline_pairs_and_dates():
    gold = {"deadlines": [
        {"date": "2024-07-10", "assignees": ["Phòng Nội vụ"]},
        {"date": "2024-07-15", "assignees": []},
    ]}
    pred = {"deadlines": [
        {"date": "2024-07-10", "assignees": ["Văn phòng UBND quận"]},
        {"date": "2024-07-15T17:00", "assignees": ["anyone"]},
    ]}
    f = score_records([("x", gold, pred)])["fields"]
    assert f["deadlines"][3:] == [1, 2, 2]  # wrong assignee on the first; none needed on the second
    assert f["deadlines.date_only"][3:] == [2, 2, 2]


def test_assignment_tasks_count_within_matched_assignees():
    gold = {"assignments": [
        {"assignee": "Phòng Nội vụ", "tasks": ["Chuẩn bị hội trường", "Mời đại biểu"]},
        {"assignee": "Văn phòng Ủy ban nhân dân quận", "tasks": ["Liên hệ các cơ quan báo, đài"]},
    ]}
    pred = {"assignments": [
        {"assignee": {"name": "VP UBND quận"}, "tasks": [{"text": "Liên hệ các cơ quan báo, đài"}]},
        {"assignee": "Phòng Tài chính", "tasks": ["Chuẩn bị hội trường"]},
    ]}
    f = score_records([("x", gold, pred)])["fields"]
    assert f["assignments.assignee"][3:] == [1, 2, 2]
    assert f["assignments.tasks"][3:] == [1, 2, 3]


# --- evaluate(): inputs, extractor, failures ---------------------------------


@pytest.fixture
def corpus(tmp_path):
    """Two gold records with inputs, one without, and a stray .json beside the inputs."""
    gold_dir, files = tmp_path / "gold", tmp_path / "files"
    gold_dir.mkdir()
    files.mkdir()
    names = sorted(GOLD)[:3]
    for name in names:
        (gold_dir / f"{name}.json").write_text(json.dumps(GOLD[name], ensure_ascii=False), encoding="utf-8")
    (files / f"{names[0]}.json").write_text("{}", encoding="utf-8")  # a prediction left over: not an input
    (files / f"{names[0]}.txt").write_text("x", encoding="utf-8")
    (files / f"{names[1]}.docx").write_bytes(b"x")
    return gold_dir, files, names


def test_evaluate_with_a_perfect_extractor(corpus):
    gold_dir, files, names = corpus
    seen = []
    result = evaluate(gold_dir, [files], extractor=lambda p: (seen.append(p.name), GOLD[p.stem])[1])
    assert seen == [f"{names[0]}.txt", f"{names[1]}.docx"]
    assert result["notes"][names[0]] == [] and result["notes"][names[1]] == []
    assert result["notes"][names[2]][0].startswith(f"no input file {names[2]}.*")
    perfect = evaluate(gold_dir, files, extractor=lambda p: GOLD[p.stem])
    assert perfect["fields"] == result["fields"]
    assert result["macro_f1"] < 1.0


def test_evaluate_survives_a_failing_extractor(corpus):
    gold_dir, files, names = corpus

    def extractor(path):
        if path.stem == names[0]:
            raise RuntimeError("boom")
        if path.stem == names[1]:
            return ["not", "a", "record"]
        return GOLD[path.stem]

    result = evaluate(gold_dir, files, extractor=extractor)
    assert result["notes"][names[0]] == [f"extraction failed: {names[0]}.txt: RuntimeError: boom"]
    assert result["notes"][names[1]] == ["extractor returned list, not a record"]
    expected = score_records([(n, GOLD[n], None) for n in names])
    assert result["fields"] == expected["fields"]


def test_evaluate_default_extractor_runs_the_pipeline(corpus, monkeypatch):
    import kehoach.pipeline

    class Record:
        def __init__(self, path):
            self.path = path

        def to_json_dict(self):
            return GOLD[Path(self.path).stem]

    monkeypatch.setattr(kehoach.pipeline, "process_file", lambda path: (Record(path), None))
    gold_dir, files, names = corpus
    result = evaluate(gold_dir, files)
    assert result["notes"][names[0]] == [] and result["notes"][names[1]] == []


def test_evaluate_on_fixture_gold_finds_every_input():
    seen = []
    result = evaluate(GOLD_DIRS, INPUT_DIRS, extractor=lambda p: (seen.append(p.stem), GOLD[p.stem])[1])
    assert sorted(seen) == sorted(GOLD)
    assert result["macro_f1"] == 1.0


def test_find_input_takes_the_first_folder_first(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (b / "doc.pdf").write_bytes(b"")
    assert find_input("doc", [a, b]) == b / "doc.pdf"
    (a / "doc.txt").write_text("")
    (a / "doc.json").write_text("{}")
    (a / "doc2.txt").write_text("")
    assert find_input("doc", [a, b]) == a / "doc.txt"
    assert find_input("nothing", [a, b, tmp_path / "absent"]) is None


def test_format_table_shape():
    result = score_records([("x", {"number": "1/KH"}, {"number": "1/kh"})])
    lines = format_table(result, verbose=True).splitlines()
    assert lines[0].split() == ["field", "P", "R", "F1", "tp", "pred", "gold"]
    assert lines[1].split() == ["header.number", "1.000", "1.000", "1.000", "1", "1", "1"]
    assert lines[-1] == "macro_f1 1.000"


# --- (b) unit tables -----------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("Ủy ban nhân dân tỉnh Lào Cai", "UBND tỉnh Lào Cai", True),
        ("Ủy ban Mặt trận Tổ quốc Việt Nam", "UB. MTTQ VN", True),
        ("Xã Hoà Bình", "xã Hòa Bình", True),
        ("Phòng Tài chính - Kế hoạch", "Phòng Tài chính – Kế hoạch", True),
        ("Phòng Tài chính-Kế hoạch", "Phòng Tài chính Kế hoạch", True),  # hyphens split words
        ("Phòng Nội vụ", "Phòng Nội vụ quận", True),  # 3/3 of the shorter, 3/4 of the longer
        ("Phòng Nội vụ", "Phòng Tài chính - Kế hoạch", False),
        ("a b c d e", "a b c d x", True),  # exactly 0.8 of the shorter
        ("a b c d e", "a b c x y", False),  # 0.6
        ("Sở Nội vụ", "Sở Nội vụ và các phòng ban chuyên môn thuộc tỉnh", False),  # 3/11 of the longer
        ("a b", "a b c d", True),  # exactly 0.5 of the longer
        ("ban ban ban", "ban", False),  # words count with multiplicity
        ("**Hội nghị**", "“Hội nghị”;", True),
        ("", "", True),
        (None, "", True),
        ("", "Phòng Nội vụ", False),
        ("BCĐ phường", "Ban Chỉ đạo phường", False),  # BCĐ is not expanded for comparison
    ],
)
def test_fuzzy_eq(a, b, expected):
    assert fuzzy_eq(a, b) is expected
    assert fuzzy_eq(b, a) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("UBND tỉnh Lào Cai", "ủy ban nhân dân tỉnh lào cai"),
        ("Uỷ ban nhân dân", "ủy ban nhân dân"),
        ("ỦY BAN NHÂN DÂN", "ủy ban nhân dân"),
        ("UB. MTTQ VN", "ủy ban mặt trận tổ quốc việt nam"),
        ("- BTT. UBMTTQTP;", "- ban thường trực ủy ban mặt trận tổ quốc thành phố"),
        ("HĐND; UBND", "hội đồng nhân dân ủy ban nhân dân"),
        ("TT Đảng ủy", "thường trực đảng ủy"),  # compare expands TT as the referee does
        ("UBND các huyện, TX, TP", "ủy ban nhân dân các huyện thị xã thành phố"),
        ("CCHC và TTHC", "cải cách hành chính và thủ tục hành chính"),
        ("VP UBND", "văn phòng ủy ban nhân dân"),
        ("Số 134/KH-UBND", "số 134 kh-ủy ban nhân dân"),  # inside a number too: both sides alike
        ("BCĐ phường", "bcđ phường"),
        ("Ubnd tỉnh", "ủy ban nhân dân tỉnh"),  # any case compares
        ("UBNDtỉnh", "ubndtỉnh"),  # whole words only
        ("**Tài chính – Kế hoạch**", "tài chính - kế họach"),  # the tone pairs apply anywhere (as the referee)
        ("“Ngày hội” (năm 2020); [a]", "ngày hội năm 2020 a"),
        ("  Phòng \n Nội   vụ. ", "phòng nội vụ"),
        ("Ho\u0300a Bi\u0300nh", "hòa bình"),  # NFD input
        (None, ""),
        (2020, "2020"),
    ],
)
def test_normalize_for_compare(text, expected):
    assert normalize_for_compare(text) == expected
    assert vocab.compare_key(text) == expected


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("04/2012/TT-BNV", "04/2012/tt-bnv"),
        (" 59 / KH-MTTQ-BTT", "59/kh-mttq-btt"),
        ("1105/KH-ĐKT", "1105/kh-dkt"),
        ("1050/QĐ-SCT", "1050/qd-sct"),
        ("34-NQ/TU", "34-nq/tu"),
        ("", ""),
        (None, ""),
    ],
)
def test_key_number(number, expected):
    assert key_number(number) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-07-26", ["2024-07-26"]),
        ("2024-07-26T08:00", ["2024-07-26"]),
        ("2020-Q3", ["2020-Q3"]),
        ("2020-H1", ["2020-H1"]),
        ("2025-11/2026-Q1", ["2025-11", "2026-Q1"]),
        ("1975-04-30/2025-04-30", ["1975-04-30", "2025-04-30"]),
        # The referee cuts at the first "T" before splitting a range.
        ("2024-07-26T08:00/2024-07-27T10:00", ["2024-07-26"]),
        ({"value": "2024-06-27", "text": "ngày 27 tháng 6 năm 2024"}, ["2024-06-27"]),
        ("", []),
        (None, []),
        ({"value": None}, []),
    ],
)
def test_date_ends(value, expected):
    assert date_ends(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2024-07-26T08:00", "2024-07-26"), (" 2020 ", "2020"), ("", None), (None, None), ({"value": "2020-Q3"}, "2020-Q3")],
)
def test_date_value(value, expected):
    assert date_value(value) == expected


@pytest.mark.parametrize(
    ("citation", "expected"),
    [
        ({"number": "04/2012/TT-BNV", "date": "2012-08-31"}, ("n", "04/2012/tt-bnv")),
        ({"number": None, "doc_type": "Luật", "date": "2022-11-10"}, ("d", "luật", "2022-11-10")),
        ({"number": "", "doc_type": None, "date": None}, ("d", "", None)),
        ("not a citation", ("d", "", None)),
    ],
)
def test_citation_key(citation, expected):
    assert citation_key(citation) == expected


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ((0, 0, 0), (1.0, 1.0, 1.0)),  # nothing to find, nothing found
        ((0, 2, 0), (0.0, 0.0, 0.0)),
        ((0, 0, 2), (0.0, 0.0, 0.0)),
        ((1, 2, 4), (0.5, 0.25, 1 / 3)),
    ],
)
def test_prf(counts, expected):
    assert prf(*counts) == pytest.approx(expected)


def test_match_greedy_is_one_to_one_in_gold_order():
    pairs = match_greedy(["a", "a", "b"], ["b", "a", "c"], str.__eq__)
    assert pairs == [(0, 1), (2, 0)]


# --- (b) the vocabulary tables and their examples -----------------------------

ABBREVIATIONS = vocab.load("abbreviations")
TONES = vocab.load("tone_placement")


def _has_token(text: str, token: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(token)}(?!\w)", text) is not None


def test_abbreviation_table_is_well_formed():
    abbrs = [e["abbr"] for e in ABBREVIATIONS]
    assert len(abbrs) == len(set(abbrs))
    for e in ABBREVIATIONS:
        assert {"abbr", "full", "compare", "display", "dot", "examples"} <= set(e), e
        assert e["abbr"] == e["abbr"].upper(), e
        assert e["examples"], e
        for s in [e["abbr"], e["full"], *e["examples"]]:
            assert s == unicodedata.normalize("NFC", s), s
        # Full forms are written with unified tones, or comparisons would miss them.
        assert vocab.unify_tones(e["full"]) == e["full"]
        assert vocab.normalize(e["full"], ["casefold", "tones_loose"]) == e["full"].casefold()


@pytest.mark.parametrize("entry", ABBREVIATIONS, ids=lambda e: e["abbr"])
def test_abbreviation_examples(entry):
    for example in entry["examples"]:
        assert _has_token(example, entry["abbr"]), example
        if entry["compare"]:
            key = vocab.compare_key(example)
            assert vocab.compare_key(entry["full"]) in key, example
            assert not _has_token(key, entry["abbr"].casefold()), key
            assert entry["full"].casefold() in vocab.expand_abbreviations(example)
        else:  # display only: the referee does not expand it, so neither may the comparison key
            assert vocab.compare_key(entry["full"]) not in vocab.compare_key(example), example
        shown = vocab.expand_abbreviations_display(example)
        if entry["display"]:
            assert entry["full"].casefold() in shown.casefold(), shown
        else:
            assert shown.count(entry["abbr"]) == example.count(entry["abbr"]), shown
        assert vocab.expand_abbreviations_display(shown) == shown  # nothing left to expand


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("UBND tỉnh Lào Cai", "Ủy ban nhân dân tỉnh Lào Cai"),
        ("UB MTTQ", "Ủy ban Mặt trận Tổ quốc"),
        ("UB. MTTQ VN và các tổ chức chính trị - xã hội", "Ủy ban Mặt trận Tổ quốc Việt Nam và các tổ chức chính trị - xã hội"),
        ("UB.MTTQ tỉnh", "Ủy ban Mặt trận Tổ quốc tỉnh"),
        ("- BTT. UBMTTQTP;", "- Ban Thường trực Ủy ban Mặt trận Tổ quốc thành phố;"),
        ("TP Hồ Chí Minh", "Thành phố Hồ Chí Minh"),
        ("TP. Hồ Chí Minh", "Thành phố Hồ Chí Minh"),
        ("UBND TP. Lào Cai", "Ủy ban nhân dân thành phố Lào Cai"),
        ("UBND TP.HCM", "Ủy ban nhân dân Thành phố Hồ Chí Minh"),
        ("UBND các huyện, TX, TP", "Ủy ban nhân dân các huyện, thị xã, thành phố"),
        ("UBND Q5", "Ủy ban nhân dân Q5"),
        ("TT QU, UBND Q5", "TT QU, Ủy ban nhân dân Q5"),  # TT is ambiguous: left as written
        ("UBND TỈNH LÀO CAI", "ỦY BAN NHÂN DÂN TỈNH LÀO CAI"),
        ("ỦY BAN MTTQ VIỆT NAM QUẬN 12", "ỦY BAN MẶT TRẬN TỔ QUỐC VIỆT NAM QUẬN 12"),
        ("CCHC năm 2020", "Cải cách hành chính năm 2020"),
        ("Kế hoạch CCHC", "Kế hoạch cải cách hành chính"),
        ("Trưởng BCĐ phường", "Trưởng Ban Chỉ đạo phường"),
        # Inside document numbers nothing is expanded.
        ("Kế hoạch số 28/KH-UBND ngày 18/01/2020 của UBND quận", "Kế hoạch số 28/KH-UBND ngày 18/01/2020 của Ủy ban nhân dân quận"),
        ("Số: 16/KH-MTTQ-BTT", "Số: 16/KH-MTTQ-BTT"),
        ("Quyết định số 522/2002/QĐ.UB", "Quyết định số 522/2002/QĐ.UB"),
        ("Công văn số 02-CT/BCĐ", "Công văn số 02-CT/BCĐ"),
        ("7432/UBND-XD", "7432/UBND-XD"),
        # Only upper-case whole tokens.
        ("Ubnd tỉnh", "Ubnd tỉnh"),
        ("UBNDX", "UBNDX"),
        ("của UBND. Các đơn vị", "của Ủy ban nhân dân. Các đơn vị"),
        ("", ""),
    ],
)
def test_expand_abbreviations_display(text, expected):
    assert vocab.expand_abbreviations_display(text) == expected


@pytest.mark.parametrize("entry", TONES, ids=lambda e: e["old"])
def test_tone_examples(entry):
    assert set(entry) >= {"old", "new", "examples", "counterexamples"}
    assert entry["old"] != entry["new"] and entry["examples"]
    for example in entry["examples"]:
        assert entry["old"] in example.casefold(), example
        unified = vocab.unify_tones(example)
        assert entry["new"] in unified.casefold() and entry["old"] not in unified.casefold(), unified
        assert vocab.compare_key(unified) == vocab.compare_key(example)
    for counter in entry["counterexamples"]:
        assert vocab.unify_tones(counter) == counter
        assert vocab.compare_key(vocab.unify_tones(counter)) == vocab.compare_key(counter)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Uỷ ban nhân dân", "Ủy ban nhân dân"),
        ("UỶ BAN NHÂN DÂN", "ỦY BAN NHÂN DÂN"),
        ("Ban Thường vụ Tỉnh uỷ Lào Cai", "Ban Thường vụ Tỉnh ủy Lào Cai"),
        ("xã Hoà Bình, hàng hoá", "xã Hòa Bình, hàng hóa"),
        ("HOÀ BÌNH", "HÒA BÌNH"),
        ("sức khoẻ.", "sức khỏe."),
        ("Hoàng Mai, Kế hoạch, quý III, Quỹ, khuỷu, Huỳnh", "Hoàng Mai, Kế hoạch, quý III, Quỹ, khuỷu, Huỳnh"),
        ("Ho\u0300a", "Hòa"),  # NFD input
    ],
)
def test_unify_tones(text, expected):
    assert vocab.unify_tones(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Uỷ ban MTTQ VN xã  Hoà Bình", "Ủy ban Mặt trận Tổ quốc Việt Nam xã Hòa Bình"),
        ("UBND tỉnh Lào Cai", "Ủy ban nhân dân tỉnh Lào Cai"),
        (" Phòng Nội vụ ", "Phòng Nội vụ"),
        (None, ""),
    ],
)
def test_normalize_name(text, expected):
    assert vocab.normalize_name(text) == expected


def test_unknown_table_lists_the_valid_ones():
    with pytest.raises(KeyError, match="abbreviations") as info:
        vocab.load("no_such_table")
    assert "tone_placement" in str(info.value)
    assert {"abbreviations", "tone_placement"} <= set(vocab.data_names())


def test_unknown_step_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"'nope'.*valid steps: nfc"):
        vocab.normalize("x", ["nfc", "nope"])
    assert vocab.normalize("Uỷ  BAN", ["tones", "casefold", "collapse_spaces"]) == "ủy ban"

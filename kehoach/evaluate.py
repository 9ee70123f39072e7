"""Score extracted plan records against gold records.

The rules are those of spec/EXTRACTION.md, "How the output is scored", as the
referee ``../shared/eval/score.py`` applies them; this module is an
independent implementation for use inside the library (the CLI, tests,
benchmarks) and agrees with the referee field by field.

- Header: ``number`` (canonical key), ``issued_date`` (date value), ``place``
  and ``signer.name`` (comparison key) must be equal; ``issuer`` and ``title``
  match fuzzily. Each counts as one gold and one predicted item per document.
- ``legal_bases`` / ``references``: F1 over canonical keys (the number; for an
  unnumbered item doc_type + date); for legal bases also the share of matched
  items with the right date and the right relation.
- ``dates``: F1 over the multiset of range ends; ``events``: over start values.
- ``participants``, ``recipients``, ``assignments.assignee``,
  ``assignments.tasks`` (within matched assignees): F1 with fuzzy matching,
  one to one, greedy in gold order.
- ``deadlines``: (date, assignee) pairs; ``deadlines.date_only``: dates alone.

A field absent from a gold record is not scored for that document; a missing
prediction is an empty record. Counts are pooled over documents, and
``macro_f1`` is the mean F1 over the fields of :data:`MACRO_FIELDS` present.

Example:
    >>> result = evaluate("tests/fixtures/gold/seeds", ["tests/fixtures/seeds"])
    >>> print(format_table(result))
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kehoach.vocab import compare_key

__all__ = [
    "MACRO_FIELDS",
    "citation_key",
    "compare_words",
    "date_ends",
    "date_value",
    "evaluate",
    "find_input",
    "format_table",
    "fuzzy_eq",
    "key_number",
    "match_greedy",
    "normalize_for_compare",
    "prf",
    "score_records",
]

MACRO_FIELDS: tuple[str, ...] = (
    "header.number",
    "header.issuer",
    "header.issued_date",
    "header.title",
    "header.signer.name",
    "legal_bases",
    "references",
    "dates",
    "events",
    "participants",
    "assignments.assignee",
    "assignments.tasks",
    "deadlines",
    "recipients",
)
"""Fields averaged into ``macro_f1`` (the others are diagnostics)."""

# Two strings match when their shared words cover this much of each.
FUZZY_SHORTER = 0.8
FUZZY_LONGER = 0.5

Record = dict[str, Any]
Extractor = Callable[[Path], Record]


# --- value keys --------------------------------------------------------------


def normalize_for_compare(s: Any) -> str:
    """The comparison form of a name (see :func:`kehoach.vocab.compare_key`).

    Example: ``normalize_for_compare("UBND tỉnh Lào Cai") == "ủy ban nhân dân tỉnh lào cai"``.
    """
    return compare_key(s)


def compare_words(s: Any) -> list[str]:
    """The words of ``s`` for fuzzy matching: its comparison form, hyphens as spaces."""
    return normalize_for_compare(s).replace("-", " ").split()


def fuzzy_eq(a: Any, b: Any) -> bool:
    """Whether the shared words of ``a`` and ``b`` cover ≥ 0.8 of the shorter and ≥ 0.5 of the longer.

    Words are counted with multiplicity; two empty strings match each other and nothing else.
    """
    wa, wb = Counter(compare_words(a)), Counter(compare_words(b))
    if not wa or not wb:
        return not wa and not wb
    shared = sum((wa & wb).values())
    shorter, longer = sorted((sum(wa.values()), sum(wb.values())))
    return shared / shorter >= FUZZY_SHORTER and shared / longer >= FUZZY_LONGER


def key_number(number: Any) -> str:
    """Canonical key of a document number: NFC, no spaces, case-folded, ``đ`` -> ``d``.

    Example: ``key_number("04/2012/ TT-BNV") == key_number("04/2012/tt-bnv")``.
    """
    s = unicodedata.normalize("NFC", str(number) if number else "")
    return re.sub(r"\s+", "", s).casefold().replace("đ", "d")


def date_value(v: Any) -> str | None:
    """A date value without its time of day; ``{"value": ...}`` objects are accepted.

    ``"2024-07-26T08:00"`` -> ``"2024-07-26"``; empty -> ``None``.
    """
    if isinstance(v, dict):
        v = v.get("value")
    if not v:
        return None
    # Cut at the first "T" like the referee: a range whose start has a time of
    # day ("…T08:00/…") therefore keeps only its start. No gold value has one.
    return str(v).split("T")[0].strip()


def date_ends(v: Any) -> list[str]:
    """The ends of a date value: ``"2025-11/2026-Q1"`` -> ``["2025-11", "2026-Q1"]``."""
    value = date_value(v)
    if not value:
        return []
    return [part.split("T")[0] for part in value.split("/")]


def citation_key(c: Any) -> tuple:
    """Canonical key of a cited document: its number, else its doc_type and date."""
    c = c if isinstance(c, dict) else {}
    if c.get("number"):
        return ("n", key_number(c["number"]))
    return ("d", normalize_for_compare(c.get("doc_type")), date_value(c.get("date")))


# --- matching ----------------------------------------------------------------


def prf(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    """Precision, recall, F1; an empty side scores 1.0 when the other is empty too."""
    p = tp / n_pred if n_pred else (1.0 if not n_gold else 0.0)
    r = tp / n_gold if n_gold else (1.0 if not n_pred else 0.0)
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def match_greedy(gold: Sequence, pred: Sequence, eq: Callable[[Any, Any], bool]) -> list[tuple[int, int]]:
    """One-to-one matching: each gold item, in order, takes the first free prediction equal to it.

    Returns:
        The matched ``(gold_index, pred_index)`` pairs.
    """
    used: set[int] = set()
    pairs = []
    for i, g in enumerate(gold):
        j = next((j for j, p in enumerate(pred) if j not in used and eq(g, p)), None)
        if j is not None:
            used.add(j)
            pairs.append((i, j))
    return pairs


@dataclass
class _Counts:
    tp: int = 0
    n_pred: int = 0
    n_gold: int = 0


class _Tally:
    """Counts pooled over documents, per field."""

    def __init__(self) -> None:
        self.counts: dict[str, _Counts] = {}

    def add(self, field: str, tp: int, n_pred: int, n_gold: int) -> None:
        c = self.counts.setdefault(field, _Counts())
        c.tp += tp
        c.n_pred += n_pred
        c.n_gold += n_gold

    def add_multiset(self, field: str, gold: Counter, pred: Counter, notes: list[str]) -> None:
        self.add(field, sum((gold & pred).values()), sum(pred.values()), sum(gold.values()))
        notes.extend(f"{field}: missed {k}" for k in gold - pred)
        notes.extend(f"{field}: spurious {k}" for k in pred - gold)


# --- per-field scoring -------------------------------------------------------


def _as_list(x: Any) -> list:
    return x if isinstance(x, list) else []


def _dicts(x: Any) -> list[dict]:
    return [d for d in _as_list(x) if isinstance(d, dict)]


def _gold_dicts(x: Any) -> list[dict]:
    # Gold items are dicts; anything else is scored as an empty item rather
    # than dropped, so that it still counts as a gold item.
    return [d if isinstance(d, dict) else {} for d in _as_list(x)]


def _text_of(x: Any, *keys: str) -> Any:
    """A string item as is, or the first non-empty of ``keys`` of a dict item."""
    if isinstance(x, str):
        return x
    if isinstance(x, dict):
        for k in keys:
            if x.get(k):
                return x[k]
    return ""


def _score_header(g: Record, p: Record, t: _Tally, notes: list[str]) -> None:
    def exact(field: str, gv: Any, pv: Any, key: Callable[[Any], Any]) -> None:
        if field.split(".")[0] not in g:
            return
        ok = key(gv) == key(pv)
        t.add("header." + field, int(ok), 1, 1)
        if not ok:
            notes.append(f"header.{field}: gold={gv!r} pred={pv!r}")

    exact("number", g.get("number"), p.get("number"), key_number)
    exact("issued_date", g.get("issued_date"), p.get("issued_date"), date_value)
    exact("place", g.get("place"), p.get("place"), normalize_for_compare)
    gs, ps = g.get("signer") or {}, p.get("signer") or {}
    exact(
        "signer.name",
        gs.get("name") if isinstance(gs, dict) else None,
        ps.get("name") if isinstance(ps, dict) else None,
        normalize_for_compare,
    )
    for field in ("issuer", "title"):
        if field not in g:
            continue
        gv, pv = g.get(field), p.get(field)
        if isinstance(pv, dict):
            pv = pv.get("name") or pv.get("normalized") or pv.get("text")
        ok = fuzzy_eq(gv, pv) if gv else not pv
        t.add("header." + field, int(ok), 1, 1)
        if not ok:
            notes.append(f"header.{field}: gold={gv!r} pred={pv!r}")


def _score_citations(field: str, g: Record, p: Record, t: _Tally, notes: list[str]) -> None:
    gold, pred = _gold_dicts(g.get(field)), _dicts(p.get(field))
    t.add_multiset(field, Counter(map(citation_key, gold)), Counter(map(citation_key, pred)), notes)
    if field == "legal_bases":
        pairs = match_greedy(gold, pred, lambda a, b: citation_key(a) == citation_key(b))
        ok_date = sum(date_value(gold[i].get("date")) == date_value(pred[j].get("date")) for i, j in pairs)
        ok_rel = sum((gold[i].get("relation") or "") == (pred[j].get("relation") or "") for i, j in pairs)
        t.add("legal_bases.date|matched", ok_date, len(pairs), len(pairs))
        t.add("legal_bases.relation|matched", ok_rel, len(pairs), len(pairs))


def _date_ends_of(items: Any) -> Counter:
    return Counter(e for x in _as_list(items) for e in date_ends(x.get("value") if isinstance(x, dict) else x))


def _score_dates(g: Record, p: Record, t: _Tally, notes: list[str]) -> None:
    t.add_multiset("dates", _date_ends_of(g.get("dates")), _date_ends_of(p.get("dates")), notes)


def _score_events(g: Record, p: Record, t: _Tally, notes: list[str]) -> None:
    gold = Counter(date_value(e.get("start")) for e in _gold_dicts(g.get("events")))
    pred = Counter(date_value(e.get("start")) for e in _dicts(p.get("events")))
    t.add("events", sum((gold & pred).values()), sum(pred.values()), sum(gold.values()))


def _score_named_list(field: str, g: Record, p: Record, t: _Tally, notes: list[str]) -> None:
    gold = [_text_of(x, "name", "text") for x in _as_list(g.get(field))]
    pred = [_text_of(x, "name", "text") for x in _as_list(p.get(field))]
    pairs = match_greedy(gold, pred, fuzzy_eq)
    t.add(field, len(pairs), len(pred), len(gold))
    matched = {i for i, _ in pairs}
    notes.extend(f"{field}: missed {str(x)[:70]!r}" for i, x in enumerate(gold) if i not in matched)


def _assignee(a: dict) -> Any:
    return _text_of(a.get("assignee"), "name", "normalized", "text")


def _score_assignments(g: Record, p: Record, t: _Tally, notes: list[str]) -> None:
    gold, pred = _gold_dicts(g.get("assignments")), _dicts(p.get("assignments"))
    pairs = match_greedy(gold, pred, lambda x, y: fuzzy_eq(_assignee(x), _assignee(y)))
    t.add("assignments.assignee", len(pairs), len(pred), len(gold))
    matched = {i for i, _ in pairs}
    notes.extend(f"assignments: missed {_assignee(a)!r}" for i, a in enumerate(gold) if i not in matched)

    # Tasks count only within matched assignees, but every task counts in the totals.
    def tasks(a: dict) -> list:
        return [_text_of(x, "text", "task") for x in _as_list(a.get("tasks"))]

    tp = sum(len(match_greedy(tasks(gold[i]), tasks(pred[j]), fuzzy_eq)) for i, j in pairs)
    t.add("assignments.tasks", tp, sum(len(tasks(a)) for a in pred), sum(len(tasks(a)) for a in gold))


def _score_deadlines(g: Record, p: Record, t: _Tally, notes: list[str]) -> None:
    gold, pred = _gold_dicts(g.get("deadlines")), _dicts(p.get("deadlines"))

    def names(d: dict) -> list:
        return [_text_of(a, "name", "normalized", "text") for a in _as_list(d.get("assignees"))]

    def same(gd: dict, pd: dict) -> bool:
        if date_value(gd.get("date")) != date_value(pd.get("date")):
            return False
        # A gold deadline without assignees matches on its date alone.
        gold_names = names(gd)
        return not gold_names or any(fuzzy_eq(a, b) for a in gold_names for b in names(pd))

    t.add("deadlines", len(match_greedy(gold, pred, same)), len(pred), len(gold))
    t.add_multiset(
        "deadlines.date_only",
        Counter(date_value(d.get("date")) for d in gold),
        Counter(date_value(d.get("date")) for d in pred),
        [],  # the pair notes above say enough
    )


def _score_record(g: Record, p: Record, t: _Tally, notes: list[str]) -> None:
    """Add one document's counts to ``t``; only fields present in the gold record count."""
    _score_header(g, p, t, notes)
    for field in ("legal_bases", "references"):
        if field in g:
            _score_citations(field, g, p, t, notes)
    if "dates" in g:
        _score_dates(g, p, t, notes)
    if "events" in g:
        _score_events(g, p, t, notes)
    for field in ("participants", "recipients"):
        if field in g:
            _score_named_list(field, g, p, t, notes)
    if "assignments" in g:
        _score_assignments(g, p, t, notes)
    if "deadlines" in g:
        _score_deadlines(g, p, t, notes)


# --- public entry points -----------------------------------------------------


def score_records(pairs: Iterable[tuple[str, Record, Record | None]]) -> dict:
    """Score predictions against gold records, pooling counts over documents.

    Args:
        pairs: ``(name, gold, prediction)`` per document. A prediction of
            ``None`` means there was none (scored as an empty record, noted as
            "no prediction"); one that is not a dict is scored as empty.

    Returns:
        ``{"fields": {field: [p, r, f1, tp, n_pred, n_gold]}, "macro_f1": float,
        "notes": {name: [str]}}`` with fields in name order.
    """
    tally = _Tally()
    all_notes: dict[str, list[str]] = {}
    for name, gold, pred in pairs:
        notes: list[str] = []
        _score_record(gold if isinstance(gold, dict) else {}, pred if isinstance(pred, dict) else {}, tally, notes)
        all_notes[name] = notes if pred is not None else ["no prediction"]
    fields = {
        f: [*prf(c.tp, c.n_pred, c.n_gold), c.tp, c.n_pred, c.n_gold] for f, c in sorted(tally.counts.items())
    }
    present = [f for f in MACRO_FIELDS if f in fields]
    macro = sum(fields[f][2] for f in present) / len(present) if present else 0.0
    return {"fields": fields, "macro_f1": macro, "notes": all_notes}


def find_input(name: str, files_dirs: Iterable[str | Path]) -> Path | None:
    """The first file ``NAME.*`` (not ``.json``) in ``files_dirs``, in order, else ``None``."""
    for d in map(Path, files_dirs):
        if not d.is_dir():
            continue
        found = sorted(
            f for f in d.iterdir() if f.name.startswith(name + ".") and f.suffix.lower() != ".json" and f.is_file()
        )
        if found:
            return found[0]
    return None


def _default_extractor(path: Path) -> Record:
    from kehoach.pipeline import process_file  # the pipeline pulls in spaCy; load it only when used

    record, _source = process_file(path)
    return record.to_json_dict()


def _as_paths(x: str | Path | Iterable[str | Path]) -> list[Path]:
    return [Path(x)] if isinstance(x, (str, Path)) else [Path(p) for p in x]


def evaluate(
    gold_dir: str | Path | Iterable[str | Path],
    files_dirs: str | Path | Iterable[str | Path],
    extractor: Extractor | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> dict:
    """Extract every document that has a gold record and score the results.

    For each ``GOLD_DIR/NAME.json`` the input is the first ``NAME.*`` in
    ``files_dirs``. A document without an input file, or whose extraction
    fails, is scored as an empty prediction, with a note saying why: one bad
    file never stops the run.

    Args:
        gold_dir: folder of gold records (or several folders).
        files_dirs: folder(s) holding the input documents, searched in order.
        extractor: ``path -> record dict``; default runs
            :func:`kehoach.pipeline.process_file`.
        on_progress: called with each document's name before it is extracted
            (for a progress bar).

    Returns:
        The same dict as :func:`score_records`.
    """
    extract = extractor or _default_extractor
    dirs = _as_paths(files_dirs)
    gold_files = sorted((f for d in _as_paths(gold_dir) for f in d.glob("*.json")), key=lambda f: f.name)

    def documents():
        for gf in gold_files:
            name = gf.stem
            gold = json.loads(gf.read_text(encoding="utf-8"))
            if on_progress:
                on_progress(name)
            path = find_input(name, dirs)
            if path is None:
                yield name, gold, None, f"no input file {name}.* in {', '.join(map(str, dirs))}"
                continue
            try:
                pred = extract(path)
            except Exception as e:  # a batch never dies on one file
                yield name, gold, None, f"extraction failed: {path.name}: {type(e).__name__}: {e}"
                continue
            if not isinstance(pred, dict):
                yield name, gold, None, f"extractor returned {type(pred).__name__}, not a record"
                continue
            yield name, gold, pred, None

    problems: dict[str, str] = {}

    def pairs():
        for name, gold, pred, problem in documents():
            if problem:
                problems[name] = problem
            yield name, gold, pred

    result = score_records(pairs())
    for name, problem in problems.items():
        result["notes"][name] = [problem]
    return result


def format_table(result: dict, verbose: bool = False) -> str:
    """The scores as the referee prints them: one row per field, then ``macro_f1``.

    Args:
        result: as returned by :func:`score_records` or :func:`evaluate`.
        verbose: also list each document's notes after the table.
    """
    lines = [f"{'field':32} {'P':>6} {'R':>6} {'F1':>6} {'tp':>5} {'pred':>5} {'gold':>5}"]
    for field, (p, r, f, tp, n_pred, n_gold) in result["fields"].items():
        lines.append(f"{field:32} {p:6.3f} {r:6.3f} {f:6.3f} {tp:5d} {n_pred:5d} {n_gold:5d}")
    if verbose:
        lines.extend(f"  {name}: {note}" for name, notes in result["notes"].items() for note in notes)
    lines.append(f"macro_f1 {result['macro_f1']:.3f}")
    return "\n".join(lines)

"""Cross-plan questions on a store built from the corpus: agencies, obligations, citations,
search, events, deadlines, export, iCalendar.

The store holds the gold record of every document that has one (4 seeds and 11
real plans, tests/fixtures = ../shared/corpus + ../shared/gold) with the
document's own text as the readers produce it, so each command's rows are
checked against what the gold records say, independent of how far the
extractor has got. Expected values are computed from the gold JSON here, not
written out by hand.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections import Counter
from datetime import date
from functools import lru_cache
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from kehoach.cli import app
from kehoach.ingest import read_document
from kehoach.pipeline import file_sha256
from kehoach.schema import PlanRecord
from kehoach.store import cites, connect, date_range, fold, number_key, obligations, store_record
from kehoach.store import agencies as ag
from kehoach.store.export import FORMATS, export, exported_tables
from kehoach.store.ics import deadlines_calendar, events_calendar, fold_line, obligations_calendar
from kehoach.store.lookups import AGENCY_KINDS, agencies, cited_by, deadlines, events, top_cited
from kehoach.store.search import (
    SearchIndexStaleError,
    SearchUnavailableError,
    build_index,
    fold_text,
    index_is_stale,
    load_fts,
    search,
)

FIXTURES = Path(__file__).parent / "fixtures"
GOLD = {p.stem: p for d in ("seeds", "real") for p in sorted((FIXTURES / "gold" / d).glob("*.json"))}


def source_file(name: str) -> Path:
    for d in ("seeds", "real"):
        found = [p for p in (FIXTURES / d).glob(f"{name}.*")]
        if found:
            return found[0]
    raise FileNotFoundError(name)


@lru_cache(maxsize=None)
def _gold_text(name: str) -> str:
    return GOLD[name].read_text(encoding="utf-8")


def gold(name: str) -> dict:
    return json.loads(_gold_text(name))


@lru_cache(maxsize=None)
def source_text(name: str):
    """The document as the readers give it (cached: two PDFs take seconds to read)."""
    return read_document(source_file(name))


def gold_plan(name: str) -> tuple[PlanRecord, object]:
    data = gold(name)
    data["recipients"] = [r if isinstance(r, dict) else {"name": r} for r in data.get("recipients", [])]
    record = PlanRecord.model_validate(data)
    path = source_file(name)
    record.source.path = str(path)
    record.source.sha256 = file_sha256(path)
    return record, source_text(name)


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory) -> Path:
    """A store file of every gold record with its document's text; search index built."""
    db = tmp_path_factory.mktemp("corpus") / "corpus.duckdb"
    con = connect(db)
    for name in GOLD:
        record, source = gold_plan(name)
        assert store_record(con, record, source)
    build_index(con)
    con.close()
    return db


@pytest.fixture(scope="module")
def con(corpus_db):
    c = connect(corpus_db, read_only=True)
    yield c
    c.close()


@lru_cache(maxsize=None)
def doc_id(name: str) -> str:
    return file_sha256(source_file(name))


def all_assignments():
    for name in GOLD:
        for a in gold(name)["assignments"]:
            yield name, a


def task_rows(a: dict) -> int:
    return max(1, len(a["tasks"]))


# ------------------------------------------------------------------ vocabulary data

VOCAB = ag.vocabulary()


@pytest.mark.parametrize("level, example", [(e["code"], x) for e in VOCAB["levels"] for x in e["examples"]])
def test_level_examples_resolve_to_their_level(level, example):
    assert ag.resolve(example).level == level


@pytest.mark.parametrize("unit, example", [(e["word"], x) for e in VOCAB["units"] for x in e["examples"]])
def test_unit_examples_name_their_unit(unit, example):
    assert unit.casefold() in [p.unit.casefold() for p in ag._places(ag._clean(example))]


@pytest.mark.parametrize("example", [x for e in VOCAB["unit_exceptions"]["entries"] for x in e["examples"]])
def test_unit_exceptions_are_not_places(example):
    clean = ag._clean(example)
    phrases = [ag._ci(e["phrase"]) for e in VOCAB["unit_exceptions"]["entries"]]
    assert not any(ag._ci(clean[p.start:]).startswith(ph) for p in ag._places(clean) for ph in phrases)


@pytest.mark.parametrize("head, example", [(e["head"], x) for e in VOCAB["heads"]["entries"] for x in e["examples"]])
def test_head_examples_begin_with_their_head(head, example):
    found = ag._head_of(ag._clean(example))
    assert found is not None and found[0] == ag._ci(head)


@pytest.mark.parametrize("example", [x for e in VOCAB["position_prefixes"]["entries"] for x in e["examples"]])
def test_position_prefixes_are_stripped(example):
    stripped = ag._strip_prefixes(ag._clean(example))
    assert stripped != ag._clean(example) and (ag._head_of(stripped) or ag._is_group_start(stripped))


@pytest.mark.parametrize("example", [x for e in VOCAB["person_markers"]["entries"] for x in e["examples"]])
def test_person_markers(example):
    assert ag.resolve(example).kind == "person"


@pytest.mark.parametrize("example", [x for e in VOCAB["group_markers"]["entries"] for x in e["examples"]])
def test_group_markers(example):
    assert ag.resolve(example).kind == "group"


@pytest.mark.parametrize("entry", VOCAB["key_synonyms"]["entries"], ids=lambda e: e["from"])
def test_key_synonyms_unify_their_examples(entry):
    assert len({ag.name_key(x) for x in entry["examples"]}) == 1


@pytest.mark.parametrize("example", VOCAB["central_cities"]["examples"])
def test_central_cities_are_provinces(example):
    assert ag.resolve(example).level == "tinh"


# ------------------------------------------------------------------ resolution

def ctx(issuer: str):
    return ag.resolve_issuer(issuer)[1]


@pytest.mark.parametrize("name, issuer, canonical, level, locality", [
    # seed 001: a plan of Ủy ban nhân dân Quận 12
    ("UBND quận", "Ủy ban nhân dân Quận 12", "Ủy ban nhân dân Quận 12", "huyen", "Quận 12"),
    ("Văn phòng Ủy ban nhân dân quận", "Ủy ban nhân dân Quận 12", "Văn phòng Ủy ban nhân dân Quận 12", "huyen",
     "Quận 12"),
    ("Phòng Nội vụ", "Ủy ban nhân dân Quận 12", "Phòng Nội vụ Quận 12", "huyen", "Quận 12"),
    ("Ban Thường vụ Quận ủy", "Ủy ban nhân dân Quận 12", "Ban Thường vụ Quận ủy Quận 12", "huyen", "Quận 12"),
    # the city above a district, not the district itself
    ("Ủy ban nhân dân Thành phố", "Ủy ban nhân dân Quận 12", "Ủy ban nhân dân Thành phố", "tinh", None),
    # seed 004: Ủy ban nhân dân tỉnh Bình Định
    ("Sở Nội vụ", "Ủy ban nhân dân tỉnh Bình Định", "Sở Nội vụ tỉnh Bình Định", "tinh", "tỉnh Bình Định"),
    ("Văn phòng UBND tỉnh", "Ủy ban nhân dân tỉnh Bình Định", "Văn phòng Ủy ban nhân dân tỉnh Bình Định", "tinh",
     "tỉnh Bình Định"),
    ("Ban Dân vận Tỉnh ủy", "Ủy ban nhân dân tỉnh Bình Định", "Ban Dân vận Tỉnh ủy Bình Định", "tinh",
     "tỉnh Bình Định"),
    ("Lãnh đạo Sở Nội vụ", "Ủy ban nhân dân tỉnh Bình Định", "Sở Nội vụ tỉnh Bình Định", "tinh", "tỉnh Bình Định"),
    # real 012: a phòng inside the issuing Sở
    ("Phòng Quản lý công nghiệp", "Sở Công Thương tỉnh Lào Cai",
     "Phòng Quản lý công nghiệp - Sở Công Thương tỉnh Lào Cai", "tinh", "tỉnh Lào Cai"),
    ("Bộ Công Thương", "Ủy ban nhân dân tỉnh Lào Cai", "Bộ Công Thương", "trung_uong", None),
    ("Ủy ban nhân dân xã", "Ban Thường trực Ủy ban Mặt trận Tổ quốc Việt Nam xã Lương Minh",
     "Ủy ban nhân dân xã Lương Minh", "xa", "xã Lương Minh"),
])
def test_resolve_through_the_issuer(name, issuer, canonical, level, locality):
    agency = ag.resolve(name, ctx(issuer))
    assert (agency.name, agency.level, agency.locality) == (canonical, level, locality)


@pytest.mark.parametrize("variant", [
    "UBND tỉnh Lào Cai", "Uỷ ban nhân dân tỉnh Lào Cai", "ỦY BAN NHÂN DÂN TỈNH LÀO CAI", "UBND TỈNH LÀO CAI",
    unicodedata.normalize("NFD", "Ủy ban nhân dân tỉnh Lào Cai"), "Ủy ban nhân dân Tỉnh Lào Cai.",
])
def test_variants_are_one_agency(variant):
    assert ag.resolve(variant).id == ag.resolve("Ủy ban nhân dân tỉnh Lào Cai").id


def test_same_bare_name_in_two_provinces_is_two_agencies():
    bd = ag.resolve("Sở Nội vụ", ctx("Ủy ban nhân dân tỉnh Bình Định"))
    lc = ag.resolve("Sở Nội vụ", ctx("Ủy ban nhân dân tỉnh Lào Cai"))
    assert bd.id != lc.id and bd.id == ag.agency_id(bd.key)


# ------------------------------------------------------------------ the registry in the store

def test_every_name_links_to_the_registry(con):
    for table, name_col, id_col in (("documents", "issuer", "issuer_agency_id"), ("assignments", "assignee", "agency_id"),
                                    ("assignment_coordinators", "name", "agency_id"),
                                    ("participants", "name", "agency_id"),
                                    ("citations", "issuer", "issuer_agency_id")):
        unlinked = con.execute(f"SELECT count(*) FROM {table} WHERE {name_col} IS NOT NULL AND "
                               f"({id_col} IS NULL OR {id_col} NOT IN (SELECT id FROM agencies))").fetchone()[0]
        assert unlinked == 0, table
    dangling = con.execute("SELECT count(*) FROM deadlines, unnest(assignee_agency_ids) u(i) "
                           "WHERE i NOT IN (SELECT id FROM agencies)").fetchone()[0]
    assert dangling == 0


def test_agency_counts_add_up_to_the_gold(con):
    rows = agencies(con, kinds=AGENCY_KINDS).dicts()
    assert sum(r["plans_issued"] for r in rows) == sum(1 for n in GOLD if gold(n)["issuer"])
    assert sum(r["tasks_assigned"] for r in rows) == sum(task_rows(a) for _, a in all_assignments())
    assert sum(r["coordinations"] for r in rows) == sum(len(a["coordinators"]) for _, a in all_assignments())


@pytest.mark.parametrize("query", ["Ủy ban nhân dân tỉnh Lào Cai", "ubnd tinh lao cai", "UỶ BAN NHÂN DÂN TỈNH LÀO CAI",
                                   unicodedata.normalize("NFD", "UBND tỉnh Lào Cai")])
def test_agencies_plans_issued(con, query):
    rows = agencies(con, name=query).dicts()
    top = next(r for r in rows if r["name"] == "Ủy ban nhân dân tỉnh Lào Cai")
    assert top["level"] == "tinh" and top["locality"] == "tỉnh Lào Cai"
    assert top["plans_issued"] == sum(1 for n in GOLD if gold(n)["issuer"] == "Ủy ban nhân dân tỉnh Lào Cai")


@pytest.mark.parametrize("province, issuer_words", [("tỉnh Lào Cai", "Lào Cai"), ("tỉnh Bình Định", "Bình Định")])
def test_agencies_tasks_assigned(con, province, issuer_words):
    rows = {r["name"]: r for r in agencies(con, name="Sở Nội vụ", level="tinh").dicts()}
    expected = sum(task_rows(a) for n, a in all_assignments()
                   if issuer_words in gold(n)["issuer"] and a["assignee"] == "Sở Nội vụ")
    assert expected > 0
    assert rows[f"Sở Nội vụ {province}"]["tasks_assigned"] == expected


def test_agencies_filters(con):
    assert {r["level"] for r in agencies(con, level="xa").dicts()} == {"xa"}
    assert all("Lương Minh" in r["locality"] for r in agencies(con, locality="luong minh").dicts())
    with pytest.raises(ValueError):
        agencies(con, level="tinh thanh")


# ------------------------------------------------------------------ obligations

def test_obligations_cover_every_gold_task(con):
    rows = obligations(con)
    assert len(rows) == sum(task_rows(a) for _, a in all_assignments())
    assert {"agency", "agency_level", "deadline_precision", "deadline_inferred", "deadline_recurrence",
            "issuer_agency", "lead_assignee"} <= set(rows.columns)


@pytest.mark.parametrize("agency", ["Sở Công Thương", "so cong thuong", "SỞ CÔNG THƯƠNG", "Sở công thương",
                                    unicodedata.normalize("NFD", "Sở Công Thương")])
def test_obligations_by_agency_match_the_gold(con, agency):
    rows = obligations(con, agency=agency).dicts()
    expected = Counter(t for n, a in all_assignments() if fold(a["assignee"]) == "so cong thuong" for t in a["tasks"])
    assert Counter(r["task"] for r in rows) == expected
    assert {r["agency"] for r in rows} == {"Sở Công Thương tỉnh Lào Cai"}


def test_obligations_bare_unit_through_the_issuers_locality(con):
    # seed 001 writes "Văn phòng Ủy ban nhân dân quận"; asked for by the district's full name
    rows = obligations(con, agency="Văn phòng UBND Quận 12").dicts()
    expected = [t for n, a in all_assignments() if a["assignee"] == "Văn phòng Ủy ban nhân dân quận"
                for t in a["tasks"]]
    assert [r["task"] for r in rows] == expected
    assert rows[0]["agency"] == "Văn phòng Ủy ban nhân dân Quận 12"


def test_obligations_coordinate_role(con):
    rows = obligations(con, agency="Sở Tài chính", roles="coordinate").dicts()
    expected = [(a["assignee"], t) for n, a in all_assignments()
                if any(fold(c) == "so tai chinh" for c in a["coordinators"]) for t in a["tasks"]]
    assert sorted((r["lead_assignee"], r["task"]) for r in rows) == sorted(expected)
    assert {r["role"] for r in rows} == {"coordinate"}
    both = obligations(con, agency="Sở Tài chính", roles="any")
    assigned = sum(task_rows(a) for _, a in all_assignments() if fold(a["assignee"]) == "so tai chinh")
    assert len(both) == len(rows) + assigned


@pytest.mark.parametrize("role", ["lead", "responsible"])
def test_obligations_by_role(con, role):
    rows = obligations(con, roles=role)
    assert len(rows) == sum(task_rows(a) for _, a in all_assignments() if a["role"] == role)
    with pytest.raises(ValueError, match="valid"):
        obligations(con, roles="boss")


def test_obligations_by_issuer_and_year(con):
    rows = obligations(con, issuer="UBND tỉnh Lào Cai")
    assert len(rows) == sum(task_rows(a) for n, a in all_assignments()
                            if gold(n)["issuer"] == "Ủy ban nhân dân tỉnh Lào Cai")

    def in_year(a, y):
        start, end = date_range(a["deadline"])
        return start is not None and start <= date(y, 12, 31) and end >= date(y, 1, 1)

    for year in (2020, 2026, 2028):
        assert len(obligations(con, year=year)) == sum(task_rows(a) for _, a in all_assignments() if in_year(a, year))


@pytest.mark.parametrize("day", ["2020-07-16", "2026-04-16", "2026-07-01", "2028-07-02"])
def test_obligations_overdue_as_of(con, day):
    d = date.fromisoformat(day)
    rows = obligations(con, overdue_as_of=d).dicts()
    assert len(rows) == sum(task_rows(a) for _, a in all_assignments()
                            if date_range(a["deadline"])[1] is not None and date_range(a["deadline"])[1] < d)
    assert [r["due_start"] for r in rows] == sorted(r["due_start"] for r in rows)


def test_obligations_deadline_precision(con):
    precision = {r["deadline"]: r["deadline_precision"] for r in obligations(con).dicts() if r["deadline"]}
    assert precision["2026-Q2"] == "quarter" and precision["2020-07-15"] == "day" and precision["2026"] == "year"


# ------------------------------------------------------------------ citations

def gold_citations():
    for name in GOLD:
        g = gold(name)
        for kind, items in (("legal_basis", g["legal_bases"]), ("reference", g["references"])):
            for c in items:
                yield name, kind, c


@pytest.mark.parametrize("number", ["85/2015/QH13", "85/2015/qh13", "101/2025/UBTVQH15", "1074/QĐ-BXD",
                                    "1074/QD-BXD", "181/2024/NĐ-CP"])
def test_cites_match_the_gold(con, number):
    rows = cites(con, number).dicts()
    expected = Counter((doc_id(n), kind) for n, kind, c in gold_citations() if number_key(c["number"]) == number_key(number))
    assert expected
    assert Counter((r["doc_id"], r["kind"]) for r in rows) == expected


def test_cites_links_the_cited_plan_when_stored(con):
    stored = {number_key(gold(n)["number"]): doc_id(n) for n in GOLD if gold(n)["number"]}
    links = [(n, c["number"]) for n, _, c in gold_citations() if number_key(c["number"]) in stored]
    assert links  # 033 cites 16/KH-MTTQ-BTT (031)
    for name, number in links:
        rows = [r for r in cites(con, number).dicts() if r["doc_id"] == doc_id(name)]
        target = stored[number_key(number)]
        assert all(r["cited_doc_id"] == (target if target != doc_id(name) else None) for r in rows)


def test_cites_limit_keeps_the_first_rows_and_says_there_are_more(con):
    everything = cites(con, "85/2015/QH13")
    assert len(everything) >= 2 and not everything.truncated
    first = cites(con, "85/2015/QH13", limit=1)
    assert first.rows == everything.rows[:1] and first.truncated
    exact = cites(con, "85/2015/QH13", limit=len(everything))
    assert exact.rows == everything.rows and not exact.truncated
    with pytest.raises(ValueError):
        cites(con, "85/2015/QH13", limit=0)


def test_cites_command_limit(corpus_db):
    db = corpus_db
    result = CliRunner().invoke(app, ["cites", "85/2015/QH13", "--db", str(db), "--limit", "1", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == 1
    assert result.stderr.startswith("Note: the first 1 citing plans are shown; more cite 85/2015/QH13")
    result = CliRunner().invoke(app, ["cites", "85/2015/QH13", "--db", str(db), "--limit", "0", "--format", "json"])
    assert len(json.loads(result.stdout)) >= 2 and result.stderr == ""


def test_cites_unnumbered_by_type_and_date(con):
    rows = cites(con, "Luật|2022-11-10").dicts()
    expected = [(doc_id(n), kind) for n, kind, c in gold_citations()
                if not c["number"] and fold(c["doc_type"]) == "luat" and c["date"] == "2022-11-10"]
    assert expected and [(r["doc_id"], r["kind"]) for r in rows] == expected


@pytest.mark.parametrize("name", ["033_KH_MTTQ_xa_LuongMinh_25-11-2025_hiep_thuong", "004_1de52a3aaf0af248"])
def test_cited_by_lists_what_a_plan_cites(con, name):
    g = gold(name)
    rows = cited_by(con, doc_id(name)[:10]).dicts()
    assert [(r["kind"], r["cited_number"]) for r in rows] == (
        [("legal_basis", c["number"]) for c in g["legal_bases"]] + [("reference", c["number"]) for c in g["references"]])


def test_top_cited_matches_the_gold(con):
    plans: dict[str, set] = {}
    total: Counter = Counter()
    for n, kind, c in gold_citations():
        key = number_key(c["number"]) if c["number"] else (f"{fold(c['doc_type']) or ''}|{c['date'] or ''}"
                                                           if c["doc_type"] or c["date"] else None)
        if key:
            plans.setdefault(key, set()).add(n)
            total[key] += 1
    expected = sorted(plans, key=lambda k: (-len(plans[k]), -total[k], k))[:5]
    rows = top_cited(con, 5).dicts()
    assert [r["cited_key"] for r in rows] == expected
    assert [r["citing_plans"] for r in rows] == [len(plans[k]) for k in expected]


# ------------------------------------------------------------------ search

def folded_words(name: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", fold_text(source_text(name).text)))


@pytest.mark.parametrize("query", ["doi thoai", "đối thoại", "Đối thoại", "ĐỐI THOẠI",
                                   unicodedata.normalize("NFD", "Đối thoại")])
def test_search_folds_case_accents_and_d(con, query):
    rows = search(con, query, limit=50).dicts()
    expected = {doc_id(n) for n in GOLD if re.search(r"\bdoi\b", folded_words(n)) and
                re.search(r"\bthoai\b", folded_words(n))}
    assert {r["doc_id"] for r in rows} == expected
    top = rows[0]
    assert top["phrase"] is True and top["doc_id"] == doc_id("003_7545c2cc15a27f07")  # "Tổ chức đối thoại …"
    text = source_text("003_7545c2cc15a27f07").text
    assert fold_text(text[top["match_start"]:top["match_end"]]) == "doi thoai"
    assert "«" in top["snippet"] and fold_text(top["snippet"]).count("doi thoai")


def test_search_pages_hold_their_spans(con):
    rows = [r for r in search(con, "Sở Công Thương", limit=50).dicts() if r["page"] is not None]
    assert rows  # the PDFs (016, 020) have pages
    for r in rows:
        start, end = con.execute("SELECT start_offset, end_offset FROM document_pages WHERE doc_id = ? AND page = ?",
                                 [r["doc_id"], r["page"]]).fetchone()
        assert start <= r["match_start"] < end


def test_search_ranks_and_requires_every_word(con):
    rows = search(con, "khoáng sản", limit=50).dicts()
    assert rows and [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert all(re.search(r"\bkhoang\b", folded_words(n)) and re.search(r"\bsan\b", folded_words(n))
               for n in GOLD if doc_id(n) in {r["doc_id"] for r in rows})
    assert len(search(con, "khoáng sản zzzqqq")) == 0
    with pytest.raises(ValueError):
        search(con, " ,.; ")


def test_search_index_goes_stale_and_rebuilds(tmp_path):
    db = tmp_path / "s.duckdb"
    c = connect(db)
    record, source = gold_plan("004_1de52a3aaf0af248")
    store_record(c, record, source)
    assert index_is_stale(c)
    with pytest.raises(SearchIndexStaleError):
        search(c, "hội nghị")
    build_index(c)
    assert not index_is_stale(c) and len(search(c, "hội nghị")) == 1
    record, source = gold_plan("003_7545c2cc15a27f07")
    store_record(c, record, source)
    assert index_is_stale(c)
    build_index(c)
    assert len(search(c, "hội nghị")) == 2
    c.close()


def test_search_without_the_extension_is_a_clear_error(monkeypatch, tmp_path):
    import kehoach.store.search as s

    bogus = tmp_path / "fts.duckdb_extension"
    bogus.write_bytes(b"not an extension")
    monkeypatch.setattr(s, "fts_extension_path", lambda: bogus)
    with pytest.raises(SearchUnavailableError) as e:
        load_fts(duckdb.connect())
    assert "pip install" in e.value.hint and str(bogus) in e.value.message
    # the search index itself is built in SQL and needs no extension (test_lookups.py)


# ------------------------------------------------------------------ events and deadlines

def gold_items(field: str):
    for name in GOLD:
        for i, item in enumerate(gold(name)[field]):
            yield name, i, item


@pytest.mark.parametrize("start, end", [("2020-01-01", "2020-12-31"), ("2026-01-01", "2026-03-31"),
                                        ("2025-12-01", "2025-12-31"), (None, None)])
def test_events_in_a_range(con, start, end):
    rows = events(con, start, end).dicts()

    def overlaps(e):
        s, _ = date_range(e["start"])
        finish = date_range(e["end"])[1] if e["end"] else date_range(e["start"])[1]
        if start is None:
            return True
        return s is not None and finish >= date.fromisoformat(start) and s <= date.fromisoformat(end)

    assert sorted((r["doc_id"], r["ordinal"]) for r in rows) == sorted(
        (doc_id(n), i) for n, i, e in gold_items("events") if overlaps(e))


@pytest.mark.parametrize("start, end", [("2020-07-01", "2020-07-31"), ("2026-01-01", "2026-06-30"), (None, None)])
def test_deadlines_in_a_range(con, start, end):
    rows = deadlines(con, start, end).dicts()

    def due(d):
        if start is None:
            return True
        s, e = date_range(d["date"])
        return s is not None and e >= date.fromisoformat(start) and s <= date.fromisoformat(end)

    assert sorted((r["doc_id"], r["ordinal"]) for r in rows) == sorted(
        (doc_id(n), i) for n, i, d in gold_items("deadlines") if due(d))
    starts = [r["due_start"] for r in rows if r["due_start"]]
    assert starts == sorted(starts)


def test_deadlines_by_agency(con):
    rows = deadlines(con, agency="Sở Công Thương").dicts()
    expected = [(doc_id(n), i) for n, i, d in gold_items("deadlines")
                if any(fold(x) == "so cong thuong" for x in d["assignees"])]
    assert expected and sorted((r["doc_id"], r["ordinal"]) for r in rows) == sorted(expected)
    with pytest.raises(ValueError):
        events(con, "2026-02-01", "2026-01-01")


# ------------------------------------------------------------------ iCalendar

def unfold(ics: str) -> list[str]:
    return ics.replace("\r\n ", "").split("\r\n")


def check_rfc5545(ics: str) -> list[dict]:
    assert ics.endswith("\r\n") and "\n" not in ics.replace("\r\n", "")
    for line in ics.split("\r\n")[:-1]:
        assert len(line.encode("utf-8")) <= 75
    lines = unfold(ics)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR"
    events_, current = [], None
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            events_.append(current)
            current = None
        elif current is not None:
            key, _, value = line.partition(":")
            current[key] = value
    for e in events_:
        assert {"UID", "DTSTAMP", "SUMMARY"} <= set(e) and any(k.startswith("DTSTART") for k in e)
        assert re.fullmatch(r"\d{8}T\d{6}Z", e["DTSTAMP"])
    assert len({e["UID"] for e in events_}) == len(events_)
    return events_


def test_fold_line_never_splits_a_character():
    line = "SUMMARY:" + "Hội nghị tổng kết công tác sắp xếp khu phố " * 5
    folded = fold_line(line)
    assert all(len(part.encode("utf-8")) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line


def test_obligations_calendar(con):
    rows = obligations(con).dicts()
    ics = obligations_calendar(rows)
    evs = check_rfc5545(ics)
    assert len(evs) == sum(1 for r in rows if r["due_start"] is not None)
    assert obligations_calendar(obligations(con).dicts()) == ics  # UIDs and stamps are stable
    quarter = next(e for e in evs if "2026-Q2" in e["DESCRIPTION"])
    assert quarter["DTSTART;VALUE=DATE"] == "20260401" and quarter["DTEND;VALUE=DATE"] == "20260701"
    day = next(e for e in evs if "deadline as written: 2020-07-15" in e["DESCRIPTION"])
    assert day["DTSTART;VALUE=DATE"] == "20200715" and day["DTEND;VALUE=DATE"] == "20200716"
    assert "\\," in ics  # commas in task texts are escaped


def test_events_and_deadlines_calendars(con):
    evs = check_rfc5545(events_calendar(events(con).dicts()))
    timed = [e for e in evs if "DTSTART;TZID=Asia/Ho_Chi_Minh" in e]
    assert "20240726T080000" in {e["DTSTART;TZID=Asia/Ho_Chi_Minh"] for e in timed}  # seed 001 at 8:00
    dls = check_rfc5545(deadlines_calendar(deadlines(con).dicts()))
    assert len(dls) == sum(1 for _, _, d in gold_items("deadlines") if date_range(d["date"])[0] is not None)


# ------------------------------------------------------------------ export

@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_export_reads_back_in_duckdb(con, tmp_path, fmt):
    written = export(con, tmp_path, fmt)
    tables = exported_tables(con)
    assert [t for t, _, _ in written] == tables and "search_postings" not in tables
    reader = {"parquet": "read_parquet(?)", "csv": "read_csv(?, header = true)", "jsonl": "read_json(?)"}[fmt]
    check = duckdb.connect()
    for table, path, n in written:
        assert path.name == f"{table}.{FORMATS[fmt][0]}"
        assert n == con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        if n == 0:
            continue
        back = check.execute(f"SELECT * FROM {reader}", [str(path)])
        assert [d[0] for d in back.description] == [d[0] for d in con.execute(f'SELECT * FROM "{table}" LIMIT 0').description]
        assert len(back.fetchall()) == n
    if fmt == "parquet":  # types survive too
        for table, path, _ in written:
            stored = con.execute(f'DESCRIBE "{table}"').fetchall()
            back = check.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
            assert [(r[0], r[1]) for r in back] == [(r[0], r[1]) for r in stored], table
        titles = check.execute("SELECT title FROM read_parquet(?) ORDER BY id",
                               [str(tmp_path / "documents.parquet")]).fetchall()
        assert titles == con.execute("SELECT title FROM documents ORDER BY id").fetchall()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_export_reads_back_in_pandas(con, tmp_path, fmt):
    pd = pytest.importorskip("pandas")
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    export(con, tmp_path, fmt)
    path = tmp_path / f"assignments.{FORMATS[fmt][0]}"
    frame = {"parquet": pd.read_parquet, "csv": pd.read_csv,
             "jsonl": lambda p: pd.read_json(p, lines=True)}[fmt](path)
    assert len(frame) == con.execute("SELECT count(*) FROM assignments").fetchone()[0]
    assert list(frame.columns) == [d[0] for d in con.execute("SELECT * FROM assignments LIMIT 0").description]


# ------------------------------------------------------------------ migration of an older store

def test_migration_links_documents_stored_before_the_registry(monkeypatch):
    import kehoach.store.migrations as m

    c = duckdb.connect()
    monkeypatch.setattr(m, "MIGRATIONS", m.MIGRATIONS[:2])
    m.migrate(c)
    c.execute("INSERT INTO documents (id, issuer, place) VALUES ('d1', 'UBND tỉnh Bình Định', 'Bình Định')")
    c.execute("INSERT INTO assignments (id, doc_id, ordinal, assignee, role, deadline) "
              "VALUES ('d1/0', 'd1', 0, 'Sở Nội vụ', 'lead', '2020-07-15')")
    c.execute("INSERT INTO assignment_coordinators (assignment_id, doc_id, ordinal, name) "
              "VALUES ('d1/0', 'd1', 0, 'Sở Tài chính')")
    c.execute("INSERT INTO tasks (assignment_id, doc_id, ordinal, text, deadline) VALUES ('d1/0', 'd1', 0, 'x', '2020-07-15')")
    c.execute("INSERT INTO deadlines (doc_id, ordinal, date, text, inferred) "
              "VALUES ('d1', 0, '2020-07-15', 'trước ngày 15/7', true)")
    monkeypatch.undo()
    assert m.migrate(c) == [x.name for x in m.MIGRATIONS[2:]]
    row = obligations(c).dicts()[0]
    assert row["agency"] == "Sở Nội vụ tỉnh Bình Định" and row["coordinators"] == ["Sở Tài chính"]
    assert row["issuer_agency"] == "Ủy ban nhân dân tỉnh Bình Định" and row["deadline_inferred"] is True
    c.close()


# ------------------------------------------------------------------ command line

@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def run(runner, *args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("command", ["agencies", "cited-by", "search", "events", "deadlines", "export"])
def test_new_commands_have_examples(runner, command):
    result = run(runner, command, "--help")
    assert result.exit_code == 0 and "Example:" in result.stdout and "--db" in result.stdout


def test_cli_agencies_and_obligations(runner, corpus_db, tmp_path):
    listed = json.loads(run(runner, "agencies", "sở công thương", "--db", corpus_db, "-f", "json").stdout)
    assert listed[0]["name"] == "Sở Công Thương tỉnh Lào Cai"
    coordinate = json.loads(run(runner, "obligations", "--agency", "so tai chinh", "--role", "coordinate",
                                "--db", corpus_db, "-f", "json").stdout)
    assert coordinate and {r["role"] for r in coordinate} == {"coordinate"}
    out = tmp_path / "o.ics"
    result = run(runner, "obligations", "--issuer", "UBND tỉnh Lào Cai", "--format", "ics", "--out", out,
                 "--db", corpus_db)
    assert result.exit_code == 0, result.output
    check_rfc5545(out.read_bytes().decode("utf-8"))
    bad = run(runner, "obligations", "--role", "boss", "--db", corpus_db)
    assert bad.exit_code == 1 and bad.stderr.startswith("Error: ") and "valid" in bad.stderr
    wrong = run(runner, "obligations", "--out", out, "--db", corpus_db)
    assert wrong.exit_code == 1 and "--out only applies" in wrong.stderr


def test_cli_citations(runner, corpus_db):
    rows = json.loads(run(runner, "cites", "16/KH-MTTQ-BTT", "--db", corpus_db, "-f", "json").stdout)
    assert rows and all(r["cited_doc_id"] == doc_id("031_KH_16-KH-MTTQ-BTT_xa_LuongMinh_18-11-2025_bau_cu")
                        for r in rows if r["doc_id"] != doc_id("031_KH_16-KH-MTTQ-BTT_xa_LuongMinh_18-11-2025_bau_cu"))
    top = list(csv.DictReader(io.StringIO(run(runner, "cites", "--top", "3", "--db", corpus_db, "-f", "csv").stdout)))
    assert len(top) == 3 and int(top[0]["citing_plans"]) >= int(top[2]["citing_plans"])
    both = run(runner, "cites", "1/X", "--top", "3", "--db", corpus_db)
    assert both.exit_code == 1 and "not both" in both.stderr
    cited = json.loads(run(runner, "cited-by", "4639/KH-UBND-NV", "--db", corpus_db, "-f", "json").stdout)
    assert [r["cited_number"] for r in cited] == [c["number"] for c in gold("001_68235d63eb85ea36")["legal_bases"]]
    table = run(runner, "cited-by", "4639/KH-UBND-NV", "--db", corpus_db)
    assert table.exit_code == 0 and "Thông tư" in table.stdout


def test_cli_search_events_deadlines_export(runner, corpus_db, tmp_path):
    found = json.loads(run(runner, "search", "Đối thoại", "--db", corpus_db, "-f", "json", "-n", "3").stdout)
    assert found[0]["doc_id"] == doc_id("003_7545c2cc15a27f07")
    empty = run(runner, "search", "  ", "--db", corpus_db)
    assert empty.exit_code == 1 and "Error: the query is empty" in empty.stderr
    ev = json.loads(run(runner, "events", "--from", "2024-07-01", "--to", "2024-07-31", "--db", corpus_db,
                        "-f", "json").stdout)
    assert [e["start"] for e in ev] == ["2024-07-26T08:00"]
    swapped = run(runner, "events", "--from", "2024-07-31", "--to", "2024-07-01", "--db", corpus_db)
    assert swapped.exit_code == 1 and "before --from" in swapped.stderr
    ics = run(runner, "deadlines", "--from", "2020-07-01", "--to", "2020-07-31", "--db", corpus_db, "-f", "ics")
    assert ics.exit_code == 0 and ics.stdout.count("BEGIN:VEVENT") == 2
    result = run(runner, "export", "--format", "csv", "--out", tmp_path / "x", "--db", corpus_db)
    assert result.exit_code == 0 and (tmp_path / "x" / "documents.csv").is_file()
    (tmp_path / "file").write_text("x")
    clash = run(runner, "export", "--out", tmp_path / "file", "--db", corpus_db)
    assert clash.exit_code == 1 and "is a file" in clash.stderr


def test_cli_show_renders_sections_and_spans(runner, tmp_path):
    db = tmp_path / "i.duckdb"
    result = run(runner, "ingest", FIXTURES / "seeds" / "001_68235d63eb85ea36.txt", "--db", db, "--quiet")
    assert result.exit_code == 0, result.output
    table = run(runner, "show", "4639", "--db", db)
    assert table.exit_code == 0, table.output
    assert "Sections" in table.stdout and "MỤC ĐÍCH" in table.stdout.upper()
    assert re.search(r"\d+–\d+", table.stdout)  # spans of the facts


# ------------------------------------------------------------------ docs/schema.md is the live schema

def documented_tables() -> dict[str, list[tuple[str, str]]]:
    text = (Path(__file__).parent.parent / "docs" / "schema.md").read_text(encoding="utf-8")
    tables: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in text.splitlines():
        m = re.match(r"^### (\w+)$", line)
        if m:
            current = tables.setdefault(m.group(1), [])
            continue
        m = re.match(r"^\| (\w+) \| ([A-Z\[\]]+) \|", line)
        if m and current is not None:
            current.append((m.group(1), m.group(2)))
    return tables


def test_schema_doc_matches_the_store(con):
    documented = documented_tables()
    live = {t: [(r[0], r[1]) for r in con.execute(f'DESCRIBE "{t}"').fetchall()] for t in exported_tables(con)}
    assert documented == live

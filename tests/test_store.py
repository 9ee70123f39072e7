"""The DuckDB store: schema, writer, named queries, guarded SQL.

Records come from the seed gold files (conftest.gold_record), so these tests do
not depend on how far the extractor has got.
"""

from __future__ import annotations

import os
from datetime import date

import duckdb
import pytest

from conftest import SEED_IDS, gold_json, gold_record, gold_source
from kehoach.ingest.base import PageInfo, SourceText
from kehoach.schema import Assignment, Citation, Deadline, PlanRecord
from kehoach.store import (
    MIGRATIONS,
    AmbiguousError,
    DatabaseNotFoundError,
    NotFoundError,
    StoreError,
    UnsafeSQLError,
    applied_migrations,
    cites,
    connect,
    date_range,
    fold,
    migrate,
    number_key,
    obligations,
    read_only_sql,
    record_ingest_error,
    show,
    store_record,
)

TABLES = ("documents", "document_texts", "citations", "events", "participants", "assignments",
          "assignment_coordinators", "tasks", "deadlines", "recipients", "dates", "ingest_errors")
SEED_004 = "004_1de52a3aaf0af248"
SEED_001 = "001_68235d63eb85ea36"


def count(con, table: str, where: str = "", params: list | None = None) -> int:
    return con.execute(f"SELECT count(*) FROM {table} {where}", params or []).fetchone()[0]


def counts(con) -> dict[str, int]:
    return {t: count(con, t) for t in TABLES}


def doc_id(seed: str) -> str:
    return gold_record(seed).source.sha256


def expected_obligation_rows(due=lambda start, end: True) -> int:
    """Rows the obligations view should give for the gold seeds, by the gold alone.

    Gold has no spans, so a task's deadline is its assignment's.
    """
    n = 0
    for seed in SEED_IDS:
        for a in gold_json(seed)["assignments"]:
            start, end = date_range(a["deadline"])
            if start is not None and due(start, end):
                n += max(1, len(a["tasks"]))
    return n


def custom_record(seed: str, sha: str, **changes) -> PlanRecord:
    """A gold record under another id, with some fields replaced."""
    record = gold_record(seed).model_copy(update=changes, deep=True)
    record.source.sha256 = sha
    return record


# ------------------------------------------------------------------ helpers

@pytest.mark.parametrize("value, expected", [
    ("2024-07-26", (date(2024, 7, 26), date(2024, 7, 26))),
    ("2024-07-26T08:00", (date(2024, 7, 26), date(2024, 7, 26))),
    ("2024-07", (date(2024, 7, 1), date(2024, 7, 31))),
    ("2024-02", (date(2024, 2, 1), date(2024, 2, 29))),
    ("2020-Q3", (date(2020, 7, 1), date(2020, 9, 30))),
    ("2020-Q1", (date(2020, 1, 1), date(2020, 3, 31))),
    ("2020-H1", (date(2020, 1, 1), date(2020, 6, 30))),
    ("2020-H2", (date(2020, 7, 1), date(2020, 12, 31))),
    ("2020", (date(2020, 1, 1), date(2020, 12, 31))),
    ("1975-04-30/2025-04-30", (date(1975, 4, 30), date(2025, 4, 30))),
    ("2025-11/2026-Q1", (date(2025, 11, 1), date(2026, 3, 31))),
    ("2025-12-05/2026-02-20", (date(2025, 12, 5), date(2026, 2, 20))),
    ("2024-13", (None, None)),
    ("2024-02-30", (None, None)),
    ("2020-Q5", (None, None)),
    ("tháng 7", (None, None)),
    ("", (None, None)),
    (None, (None, None)),
    ("2026/2025", (None, None)),
])
def test_date_range(value, expected):
    assert date_range(value) == expected


@pytest.mark.parametrize("number, key", [
    ("04/2012/TT-BNV", "04/2012/tt-bnv"),
    ("4639 /KH-UBND-NV", "4639/kh-ubnd-nv"),
    ("1105/KH-ĐKT", "1105/kh-dkt"),
    ("453–KL/TU", "453-kl/tu"),
    ("  ", None),
    (None, None),
])
def test_number_key(number, key):
    assert number_key(number) == key


@pytest.mark.parametrize("name, folded", [
    ("Sở Nội vụ", "so noi vu"),
    ("SỞ NỘI VỤ", "so noi vu"),
    ("Uỷ ban nhân dân", "uy ban nhan dan"),   # tone mark on the other vowel
    ("Ủy ban nhân dân", "uy ban nhan dan"),
    ("Đoàn Thanh niên", "doan thanh nien"),
    ("UBND các huyện, TX, TP", "ubnd cac huyen tx tp"),
])
def test_fold(name, folded):
    assert fold(name) == folded


# ------------------------------------------------------------------ schema

def test_migrations_are_named_and_recorded(mem_db):
    assert applied_migrations(mem_db) == [m.name for m in MIGRATIONS]
    assert MIGRATIONS[0].name == "0001_initial_schema"
    assert migrate(mem_db) == []  # nothing pending the second time
    assert count(mem_db, "schema_migrations") == len(MIGRATIONS)


def test_connect_creates_file_and_read_only_needs_it(tmp_path):
    with pytest.raises(DatabaseNotFoundError) as e:
        connect(tmp_path / "missing.duckdb", read_only=True)
    assert "kehoach ingest" in e.value.hint
    path = tmp_path / "sub" / "k.duckdb"
    con = connect(path)
    assert store_record(con, gold_record(SEED_004), gold_source(SEED_004))
    con.close()
    ro = connect(path, read_only=True)
    assert count(ro, "documents") == 1
    with pytest.raises(UnsafeSQLError):
        read_only_sql(ro, "CREATE TABLE x (a INTEGER)")
    ro.close()


def test_read_only_connect_refuses_a_foreign_database(tmp_path):
    path = tmp_path / "other.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(StoreError, match="not a kehoach database"):
        connect(path, read_only=True)


# ------------------------------------------------------------------ writer

@pytest.mark.parametrize("seed", SEED_IDS)
def test_rows_per_table_match_gold(seeded_db, seed):
    gold = gold_json(seed)
    did = doc_id(seed)
    by_doc = "WHERE doc_id = ?"
    assert count(seeded_db, "documents", "WHERE id = ?", [did]) == 1
    assert count(seeded_db, "document_texts", by_doc, [did]) == 1
    assert count(seeded_db, "citations", by_doc + " AND kind = 'legal_basis'", [did]) == len(gold["legal_bases"])
    assert count(seeded_db, "citations", by_doc + " AND kind = 'reference'", [did]) == len(gold["references"])
    assert count(seeded_db, "events", by_doc, [did]) == len(gold["events"])
    assert count(seeded_db, "participants", by_doc, [did]) == len(gold["participants"])
    assert count(seeded_db, "assignments", by_doc, [did]) == len(gold["assignments"])
    assert count(seeded_db, "tasks", by_doc, [did]) == sum(len(a["tasks"]) for a in gold["assignments"])
    assert count(seeded_db, "assignment_coordinators", by_doc, [did]) == sum(
        len(a["coordinators"]) for a in gold["assignments"])
    assert count(seeded_db, "deadlines", by_doc, [did]) == len(gold["deadlines"])
    assert count(seeded_db, "recipients", by_doc, [did]) == len(gold["recipients"])
    assert count(seeded_db, "dates", by_doc, [did]) == len(gold["dates"])


def test_document_row(seeded_db):
    row = seeded_db.execute("""
        SELECT number, number_key, issued_date, issued_date_start, issued_date_end, signer_name,
               signer_authority, signer_on_behalf_of, filename, format, file_size, record_json
        FROM documents WHERE id = ?""", [doc_id(SEED_004)]).fetchone()
    assert row[:9] == (None, None, "2020", date(2020, 1, 1), date(2020, 12, 31), "Nguyễn Tuấn Thanh",
                       "KT", "Chủ tịch", f"{SEED_004}.txt")
    assert row[9] == "txt" and row[10] > 0
    import json
    assert json.loads(row[11]) == gold_record(SEED_004).to_json_dict()
    key = seeded_db.execute("SELECT number_key FROM documents WHERE id = ?", [doc_id(SEED_001)]).fetchone()[0]
    assert key == "4639/kh-ubnd-nv"


@pytest.mark.parametrize("seed", SEED_IDS)
def test_stored_json_text_is_the_record_json(seed):
    """record_json is written by pydantic (to_json), the CLI prints to_json_dict: the same object, with the
    source's route, encodings and page sources left out only where they are empty."""
    import json

    from kehoach.schema.record import PageSource

    rec = gold_record(seed)
    assert json.loads(rec.to_json()) == rec.to_json_dict()
    assert "route" not in json.loads(rec.to_json())["source"]
    rec.source.route, rec.source.encodings = "ocr", ["tcvn3"]
    rec.source.page_sources = [PageSource(page=1, method="ocr", confidence=91.5)]
    assert json.loads(rec.to_json()) == rec.to_json_dict()
    assert json.loads(rec.to_json())["source"]["page_sources"][0]["confidence"] == 91.5


def test_store_is_idempotent(seeded_db):
    before = counts(seeded_db)
    for seed in SEED_IDS:
        assert store_record(seeded_db, gold_record(seed), gold_source(seed)) is False
    assert counts(seeded_db) == before


def test_store_is_atomic(mem_db, monkeypatch):
    import kehoach.store.writer as writer

    real_insert = writer._insert

    def failing_insert(con, table, columns, rows):
        if table == "tasks":
            raise RuntimeError("disk full")
        real_insert(con, table, columns, rows)

    monkeypatch.setattr(writer, "_insert", failing_insert)
    with pytest.raises(RuntimeError):
        store_record(mem_db, gold_record(SEED_004), gold_source(SEED_004))
    assert all(n == 0 for n in counts(mem_db).values())
    monkeypatch.setattr(writer, "_insert", real_insert)
    assert store_record(mem_db, gold_record(SEED_004), gold_source(SEED_004)) is True


def test_store_requires_an_id(mem_db):
    record = PlanRecord()
    with pytest.raises(ValueError, match="sha256"):
        store_record(mem_db, record)


def test_spans_pages_and_task_deadlines(mem_db):
    """Pages come from the source where items lack them; a deadline inside a task's span is that task's."""
    text = "x" * 400
    source = SourceText(text=text, pages=[PageInfo(1, 0, 200), PageInfo(2, 200, 400)])
    record = PlanRecord(
        number="12/KH-UBND",
        legal_bases=[Citation(relation="can_cu", number="01/2020/TT-BNV", span=(10, 40))],
        assignments=[Assignment(
            assignee="Phòng Nội vụ", tasks=["first", "second"], task_spans=[(210, 260), (260, 300)],
            deadline="2024-12", span=(200, 300))],
        deadlines=[Deadline(date="2024-07-10", text="trước ngày 10/7/2024", span=(240, 258))],
    )
    record.source.sha256 = "f" * 64
    assert store_record(mem_db, record, source)
    assert mem_db.execute("SELECT page, span_start, span_end FROM citations").fetchone() == (1, 10, 40)
    rows = obligations(mem_db).dicts()
    assert [(r["task"], r["deadline"], r["page"]) for r in rows] == [
        ("first", "2024-07-10", 2), ("second", "2024-12", 2)]
    assert rows[1]["due_start"] == date(2024, 12, 1) and rows[1]["due_end"] == date(2024, 12, 31)


def test_record_ingest_error(mem_db):
    record_ingest_error(mem_db, "bad.pdf", "no text layer", "read", "run OCR first")
    assert mem_db.execute('SELECT path, reason, stage, hint, "at" IS NOT NULL FROM ingest_errors').fetchall() == [
        (os.path.abspath("bad.pdf"), "no text layer", "read", "run OCR first", True)]


# ------------------------------------------------------------------ obligations

def test_obligations_one_row_per_task(seeded_db):
    rows = obligations(seeded_db)
    assert len(rows) == sum(max(1, len(a["tasks"])) for s in SEED_IDS for a in gold_json(s)["assignments"])
    assert set(rows.columns) >= {"doc_id", "plan_number", "plan_issued_date", "issuer", "plan_title", "assignee",
                                 "assignee_normalized", "role", "request", "coordinators", "task", "deadline",
                                 "due_start", "due_end", "span_start", "span_end", "page"}


def test_obligations_assignment_without_tasks_gives_one_row(mem_db):
    gold = gold_record(SEED_004)
    assignments = [a.model_copy(update={"tasks": []}) for a in gold.assignments]
    store_record(mem_db, custom_record(SEED_004, "a" * 64, assignments=assignments))
    rows = obligations(mem_db).dicts()
    assert len(rows) == len(assignments)
    assert all(r["task"] is None for r in rows)
    lead = next(r for r in rows if r["assignee"] == "Sở Nội vụ")
    assert lead["coordinators"] == gold.assignments[0].coordinators


@pytest.mark.parametrize("agency", ["sở nội vụ", "SO NOI VU", "Sở Nội vụ", "SỞ NỘI VỤ", "so  noi-vu"])
def test_obligations_agency_ignores_case_and_accents(seeded_db, agency):
    rows = obligations(seeded_db, agency=agency).dicts()
    assert rows == obligations(seeded_db, agency="Sở Nội vụ").dicts()
    gold_lead = next(a for a in gold_json(SEED_004)["assignments"] if a["assignee"] == "Sở Nội vụ")
    seed_rows = [r for r in rows if r["doc_id"] == doc_id(SEED_004)]
    assert [r["task"] for r in seed_rows] == gold_lead["tasks"]
    assert seed_rows[0]["coordinators"] == gold_lead["coordinators"]


def test_obligations_agency_folds_d_and_matches_whole_words(seeded_db):
    # seed 001: "Các đơn vị được chọn báo cáo tham luận"
    assert {r["assignee"] for r in obligations(seeded_db, agency="DON VI DUOC CHON")} == {
        "Các đơn vị được chọn báo cáo tham luận"}
    assert len(obligations(seeded_db, agency="Nội v")) == 0
    with pytest.raises(ValueError):
        obligations(seeded_db, agency=" ,, ")


@pytest.mark.parametrize("day", ["2020-07-14", "2020-07-15", "2020-12-31", "2024-07-10", "2030-01-01"])
def test_obligations_due_before(seeded_db, day):
    d = date.fromisoformat(day)
    rows = obligations(seeded_db, due_before=day)
    assert len(rows) == expected_obligation_rows(lambda start, end: start <= d)
    assert all(r["due_start"] <= d for r in rows)
    starts = [r["due_start"] for r in rows]
    assert starts == sorted(starts)


@pytest.mark.parametrize("day", ["2020-07-15", "2020-07-16", "2024-07-11"])
def test_obligations_overdue_and_due_after(seeded_db, day):
    d = date.fromisoformat(day)
    assert len(obligations(seeded_db, overdue_as_of=d)) == expected_obligation_rows(lambda start, end: end < d)
    assert len(obligations(seeded_db, due_after=d)) == expected_obligation_rows(lambda start, end: end >= d)


def test_obligations_partial_deadline(mem_db):
    assignments = [a.model_copy(update={"deadline": "2024-07"}) for a in gold_record(SEED_004).assignments[:1]]
    store_record(mem_db, custom_record(SEED_004, "b" * 64, assignments=assignments))
    assert len(obligations(mem_db, due_before="2024-07-15")) == 2  # may fall before the 15th
    assert len(obligations(mem_db, overdue_as_of="2024-07-15")) == 0  # not wholly past yet
    assert len(obligations(mem_db, overdue_as_of="2024-08-01")) == 2
    with pytest.raises(ValueError):
        obligations(mem_db, due_before="15/7/2024")


def test_obligations_sorted_by_due_date_then_plan(seeded_db):
    rows = obligations(seeded_db).dicts()
    dated = [r for r in rows if r["due_start"] is not None]
    assert dated == rows[:len(dated)]  # undated last
    assert [r["due_start"] for r in dated] == sorted(r["due_start"] for r in dated)


# ------------------------------------------------------------------ cites / show

@pytest.mark.parametrize("number", ["04/2012/TT-BNV", "04/2012/tt-bnv", " 04/2012/ TT-BNV "])
def test_cites_finds_the_citing_plan(seeded_db, number):
    rows = cites(seeded_db, number).dicts()
    assert [(r["plan_number"], r["kind"], r["relation"]) for r in rows] == [
        ("4639/KH-UBND-NV", "legal_basis", "can_cu")]
    assert rows[0]["doc_id"] == doc_id(SEED_001)
    assert rows[0]["plan_title"].startswith("Tổ chức Hội nghị tổng kết")
    assert {"span_start", "span_end", "page"} <= set(rows[0])


def test_cites_references_and_unknown(seeded_db):
    rows = cites(seeded_db, "34/2007/PL-UBTVQH11").dicts()
    assert {r["kind"] for r in rows if r["doc_id"] == doc_id(SEED_004)} == {"reference"}
    assert len(cites(seeded_db, "999/KH-XYZ")) == 0


@pytest.mark.parametrize("query", ["4639/KH-UBND-NV", "4639/kh-ubnd-nv", "4639", "ID_PREFIX"])
def test_show_by_number_or_id_prefix(seeded_db, query):
    did = doc_id(SEED_001)
    found = show(seeded_db, did[:8] if query == "ID_PREFIX" else query)
    gold = gold_json(SEED_001)
    assert found["document"]["id"] == did
    assert found["record"]["number"] == gold["number"]
    assert len(found["legal_bases"]) == len(gold["legal_bases"])
    assert [a["assignee"] for a in found["assignments"]] == [a["assignee"] for a in gold["assignments"]]
    assert [[t["text"] for t in a["tasks"]] for a in found["assignments"]] == [
        a["tasks"] for a in gold["assignments"]]


def test_show_not_found_and_ambiguous(mem_db):
    for sha in ("abcd1" + "0" * 59, "abcd2" + "0" * 59):
        store_record(mem_db, custom_record(SEED_004, sha))
    with pytest.raises(AmbiguousError):
        show(mem_db, "abcd")
    assert show(mem_db, "abcd2")["document"]["id"].startswith("abcd2")
    with pytest.raises(NotFoundError) as e:
        show(mem_db, "nothing/KH")
    assert e.value.hint


# ------------------------------------------------------------------ read-only SQL

@pytest.mark.parametrize("sql", [
    "DROP TABLE documents",
    "DELETE FROM documents",
    "WITH x AS (SELECT 1) DELETE FROM documents",
    "UPDATE documents SET title = 'x'",
    "INSERT INTO ingest_errors (path) VALUES ('x')",
    "CREATE TABLE x AS SELECT 1",
    "COPY documents TO 'x.csv'",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_csv_auto('/etc/passwd')",
    "SELECT * FROM READ_PARQUET('x.parquet')",
    "SELECT * FROM read_json('x.json')",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM \"read_blob\" ('/etc/passwd')",
    "SELECT * FROM glob('/etc/*')",
    "SELECT * FROM '/etc/passwd'",
    "ATTACH 'x.db'",
    "INSTALL fts",
    "LOAD fts",
    "PRAGMA version",
    "SET threads = 1",
    "SELECT 1; DROP TABLE documents",
    "",
    "   -- nothing",
])
def test_read_only_sql_rejects(seeded_db, sql):
    with pytest.raises(UnsafeSQLError):
        read_only_sql(seeded_db, sql)
    assert count(seeded_db, "documents") == 4


def test_read_only_sql_bad_syntax_is_a_store_error(seeded_db):
    with pytest.raises(StoreError, match="does not parse"):
        read_only_sql(seeded_db, "SELEC 1")
    with pytest.raises(StoreError, match="query failed"):
        read_only_sql(seeded_db, "SELECT nope FROM documents")


@pytest.mark.parametrize("sql, expected", [
    ("SELECT count(*) AS n FROM documents", [(4,)]),
    ("WITH o AS (SELECT * FROM obligations) SELECT count(DISTINCT doc_id) FROM o", [(4,)]),
    ("SELECT 'read_csv(' AS s", [("read_csv(",)]),  # a string is not a call
    ("FROM documents SELECT count(*)", [(4,)]),
])
def test_read_only_sql_runs_queries(seeded_db, sql, expected):
    result = read_only_sql(seeded_db, sql)
    assert result.rows == expected
    assert len(result.columns) == 1

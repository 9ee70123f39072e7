"""The lookup tables (kehoach.store.optimize) and the search postings give the same rows as before.

On a store of every gold record (tests/fixtures, as in test_crossplan), each lookup
command's rows with the lookup tables built are compared with its rows read from
the views (the lookup tables stale), for every agency, issuer and cited key the
store holds; the search postings built in SQL are compared with those of DuckDB's
full-text extension.
"""

from __future__ import annotations

import shutil
import unicodedata

import pytest
from typer.testing import CliRunner

from kehoach.cli import app
from kehoach.store import cites, connect, obligations, store_record
from kehoach.store import agencies as ag
from kehoach.store import optimize as lookup
from kehoach.store.export import exported_tables
from kehoach.store.search import K1, B, build_index, fold_text, load_fts, search
from test_crossplan import GOLD, gold_plan, source_file

LATER = "004_1de52a3aaf0af248"  # stored after the lookup tables were built, in the staleness test


class Recorder:
    """A connection that remembers the SQL it ran."""

    def __init__(self, con):
        self.con = con
        self.sql: list[str] = []

    def execute(self, sql, params=None):
        self.sql.append(sql)
        return self.con.execute(sql, params or [])


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A corpus store file (all gold records but LATER), lookup tables not built yet."""
    db = tmp_path_factory.mktemp("lookups") / "corpus.duckdb"
    con = connect(db)
    for name in GOLD:
        if name != LATER:
            assert store_record(con, *gold_plan(name))
    con.close()
    return db


def _arguments(con):
    """Every agency, issuer, written assignee, coordinator and cited key of the store, and some words."""
    names = [r[0] for r in con.execute("SELECT name FROM agencies ORDER BY name").fetchall()]
    written = [r[0] for r in con.execute(
        "SELECT DISTINCT assignee FROM assignments WHERE assignee IS NOT NULL "
        "UNION SELECT DISTINCT name FROM assignment_coordinators ORDER BY 1").fetchall()]
    words = ["Sở", "so noi vu", "ubnd quan 12", "UBND tỉnh Lào Cai", "Văn phòng UBND Quận 12", "phòng",
             unicodedata.normalize("NFD", "Sở Công Thương"), "ban chỉ đạo", "xyz không có"]
    keys = [r[0] for r in con.execute("SELECT DISTINCT key FROM citations WHERE key IS NOT NULL ORDER BY 1").fetchall()]
    return names + written + words, names, keys


def _all_results(con) -> dict:
    agencies, issuers, keys = _arguments(con)
    out = {}
    days = ("2020-07-16", "2026-04-16", "2026-07-01", "2028-07-02")
    for n, a in enumerate(agencies):
        out["agency", a] = obligations(con, agency=a)
        # one more filter each, in turn (every combination would take minutes)
        variant = [{"roles": "lead"}, {"roles": "responsible"}, {"overdue_as_of": days[n % 4]}, {"year": 2026},
                   {"issuer": "UBND tỉnh Lào Cai"}][n % 5]
        out["agency+", a] = obligations(con, agency=a, **variant)
    for n, i in enumerate(issuers):
        out["issuer", i] = obligations(con, issuer=i)
        out["issuer-overdue", i] = obligations(con, issuer=i, overdue_as_of=days[n % 4])
        if n % 3 == 0:
            out["issuer-year", i] = obligations(con, issuer=i, year=2026, roles="assignee")
    for day in ("2020-07-16", "2026-07-01"):
        out["overdue", day] = obligations(con, overdue_as_of=day)
    out["all"] = obligations(con)
    out["due-window"] = obligations(con, due_after="2026-01-01", due_before="2026-12-31")
    for k in keys:
        out["cites", k] = cites(con, k)
    return out


def _same(before: dict, after: dict) -> None:
    assert before.keys() == after.keys()
    for k in before:
        assert after[k].columns == before[k].columns, k
        assert after[k].rows == before[k].rows, k


@pytest.fixture(scope="module")
def from_views(store):
    con = connect(store, read_only=True)
    assert not lookup.is_fresh(con)
    results = _all_results(con)
    con.close()
    return results


def test_lookup_tables_give_the_views_rows(store, from_views):
    con = connect(store)
    done = lookup.optimize(con)
    assert done["obligations"] == con.execute("SELECT count(*) FROM obligations").fetchone()[0]
    assert done["citations"] == con.execute("SELECT count(*) FROM citation_links").fetchone()[0]
    con.close()
    con = connect(store, read_only=True)
    assert lookup.is_fresh(con)
    # not vacuous: the commands answer from the lookup tables now
    spy = Recorder(con)
    assert len(obligations(spy, agency="Sở Công Thương")) and len(cites(spy, "85/2015/QH13"))
    assert len(obligations(spy, issuer="UBND tỉnh Lào Cai", overdue_as_of="2028-07-02"))
    used = " ".join(spy.sql)
    assert lookup.OBLIGATION_TABLE in used and lookup.ISSUER_TABLE in used and lookup.CITATION_TABLE in used
    assert sum(len(r) for r in from_views.values()) > 1000
    _same(from_views, _all_results(con))
    # coordinator rows come from the views whatever the state
    spy = Recorder(con)
    obligations(spy, agency="Sở Tài chính", roles="coordinate")
    assert "obligation_parties" in " ".join(spy.sql)
    assert not set(lookup.LOOKUP_TABLES) & set(exported_tables(con))
    con.close()


def test_stale_lookup_tables_are_not_read(store, tmp_path):
    db = tmp_path / "copy.duckdb"
    shutil.copy(store, db)
    con = connect(db)
    lookup.optimize(con)
    assert store_record(con, *gold_plan(LATER))  # a document the lookup tables do not hold
    assert not lookup.is_fresh(con)
    later = gold_plan(LATER)[0].source.sha256
    spy = Recorder(con)
    rows = obligations(spy)
    cited = cites(spy, "85/2015/QH13")
    assert not any(t in " ".join(spy.sql) for t in lookup.LOOKUP_TABLES)
    assert later in {r["doc_id"] for r in rows.dicts()}  # read from the views, so the new plan is there
    lookup.optimize(con)
    assert lookup.is_fresh(con)
    assert obligations(con).rows == rows.rows and cites(con, "85/2015/QH13").rows == cited.rows
    # re-linking the agencies changes ids in place: the lookup tables are stale until rebuilt
    ag.rebuild(con)
    assert not lookup.is_fresh(con)
    con.close()


def test_ingest_builds_the_lookup_tables(tmp_path):
    db = tmp_path / "i.duckdb"
    src = tmp_path / "in"
    src.mkdir()
    record, _ = gold_plan(LATER)
    shutil.copy(record.source.path, src)
    result = CliRunner().invoke(app, ["ingest", str(src), "--db", str(db), "--workers", "0", "--quiet",
                                      "--no-optimize"])
    assert result.exit_code == 0, result.output
    con = connect(db, read_only=True)
    assert not lookup.is_fresh(con)  # left to `kehoach optimize`: lookups read the views meanwhile
    con.close()
    (db.parent / "i.duckdb").unlink()
    result = CliRunner().invoke(app, ["ingest", str(src), "--db", str(db), "--workers", "0", "--quiet"])
    assert result.exit_code == 0, result.output
    con = connect(db, read_only=True)
    assert lookup.is_fresh(con) and con.execute(f"SELECT count(*) FROM {lookup.OBLIGATION_TABLE}").fetchone()[0] == \
        con.execute("SELECT count(*) FROM obligations").fetchone()[0]
    con.close()
    result = CliRunner().invoke(app, ["optimize", "--db", str(db)])
    assert result.exit_code == 0 and "lookup tables rebuilt" in result.output


def test_ingest_leaves_a_large_store_a_few_plans_behind(tmp_path, monkeypatch):
    """A large store only a few plans behind is not rebuilt after each ingest (~35 s at 100,000 plans):
    the ingest says so, lookups read the views; --optimize rebuilds anyway."""
    db = tmp_path / "big.duckdb"
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    shutil.copy(source_file(LATER), first)
    shutil.copy(source_file(next(n for n in GOLD if n != LATER)), second)
    monkeypatch.setattr(lookup, "AUTO_REBUILD_PLANS", 0)  # every store counts as large
    monkeypatch.setattr(lookup, "AUTO_REBUILD_SHARE", 0.9)  # 1 new plan of 2 is "a few"

    def ingest(folder, *options):
        result = CliRunner().invoke(app, ["ingest", str(folder), "--db", str(db), "--workers", "0", *options])
        assert result.exit_code == 0, result.output
        con = connect(db, read_only=True)
        fresh = lookup.is_fresh(con)
        con.close()
        return result.output, fresh

    output, fresh = ingest(first)
    assert fresh and "lookup tables rebuilt" in output  # never built: built now, whatever the size
    output, fresh = ingest(second)
    assert not fresh and "lookup tables not rebuilt: 1 of 2 plans are new" in output
    assert "kehoach optimize" in output
    con = connect(db, read_only=True)
    assert lookup.behind(con) == (2, 1)
    con.close()
    monkeypatch.setattr(lookup, "AUTO_REBUILD_SHARE", 0.5)  # now 1 new plan of 2 is enough
    assert lookup.worth_rebuilding(2, 1) and not lookup.worth_rebuilding(100, 1)
    assert lookup.worth_rebuilding(100, None)  # never built, or marked stale


def test_ingest_optimize_flag_rebuilds_a_store_a_few_plans_behind(tmp_path, monkeypatch):
    db = tmp_path / "big.duckdb"
    folders = []
    for k, name in enumerate([LATER, next(n for n in GOLD if n != LATER)]):
        folders.append(tmp_path / str(k))
        folders[-1].mkdir()
        shutil.copy(source_file(name), folders[-1])
    monkeypatch.setattr(lookup, "AUTO_REBUILD_PLANS", 0)
    monkeypatch.setattr(lookup, "AUTO_REBUILD_SHARE", 0.9)
    for folder, options, fresh in ((folders[0], [], True), (folders[1], ["--optimize"], True)):
        result = CliRunner().invoke(app, ["ingest", str(folder), "--db", str(db), "--workers", "0", *options])
        assert result.exit_code == 0, result.output
        assert "lookup tables rebuilt" in result.output
        con = connect(db, read_only=True)
        assert lookup.is_fresh(con) is fresh
        con.close()


@pytest.mark.parametrize("ranks, most, expected", [
    ([], 8, []),
    ([5], 8, [(5, 5)]),
    ([3, 1, 2, 2], 8, [(1, 3)]),
    ([1, 2, 3, 7, 8, 20], 8, [(1, 3), (7, 8), (20, 20)]),
    ([1, 2, 3, 7, 8, 20], 2, [(1, 8), (20, 20)]),
    ([1, 3, 5, 7], 1, [(1, 7)]),
])
def test_rank_ranges_cover_every_rank(ranks, most, expected):
    ranges = lookup.rank_ranges(ranks, most)
    assert ranges == expected
    assert all(any(a <= r <= b for a, b in ranges) for r in ranks)


# ------------------------------------------------------------------ search postings

def _extension_postings(con) -> set:
    """The postings as DuckDB's full-text extension computes them (the way build_index used to)."""
    load_fts(con)
    con.execute("CREATE TABLE ref_texts AS SELECT doc_id, folded FROM search_texts")
    con.execute("""PRAGMA create_fts_index('ref_texts', 'doc_id', 'folded', stemmer = 'none', stopwords = 'none',
                   ignore = '[^a-z0-9]+', strip_accents = 0, lower = 0, overwrite = 1)""")
    schema = "fts_main_ref_texts"
    return set(con.execute(f"""
        SELECT dict.term, docs.name, t.tf,
               (log(((st.num_docs - dict.df + 0.5) / (dict.df + 0.5)) + 1)
                * (t.tf * ({K1} + 1) / (t.tf + {K1} * (1 - {B} + {B} * docs.len / st.avgdl))))::FLOAT
        FROM (SELECT termid, docid, count(*)::INTEGER AS tf FROM {schema}.terms GROUP BY ALL) t
        JOIN {schema}.dict dict ON dict.termid = t.termid
        JOIN {schema}.docs docs ON docs.docid = t.docid, {schema}.stats st""").fetchall())


def test_search_postings_equal_the_full_text_extension(store, tmp_path):
    db = tmp_path / "s.duckdb"
    shutil.copy(store, db)
    con = connect(db)
    assert build_index(con) == len(GOLD) - 1
    ours = set(con.execute("SELECT p.term, s.doc_id, p.tf, p.weight FROM search_postings p "
                           "JOIN search_texts s USING (doc_no)").fetchall())
    assert len(ours) > 1000 and ours == _extension_postings(con)
    # search locates matches in the stored folded text: the same as folding the text in Python
    for doc_id, folded, text in con.execute(
            "SELECT s.doc_id, s.folded, t.text FROM search_texts s JOIN document_texts t USING (doc_id)").fetchall():
        assert folded == fold_text(text), doc_id
    # documents are numbered in id order, so ties in score are broken by id as before
    ids = [r[0] for r in con.execute("SELECT doc_id FROM search_texts ORDER BY doc_no").fetchall()]
    assert ids == sorted(ids)
    con.close()


def test_search_needs_no_extension(monkeypatch, tmp_path, store):
    import kehoach.store.search as s

    def missing():
        raise AssertionError("the search index build loaded the full-text extension")

    monkeypatch.setattr(s, "load_fts", missing)
    db = tmp_path / "x.duckdb"
    shutil.copy(store, db)
    result = CliRunner().invoke(app, ["search", "hội nghị", "--db", str(db), "--format", "json"])
    assert result.exit_code == 0, result.output
    con = connect(db, read_only=True)
    assert [r["doc_id"] for r in search(con, "đối thoại", 50).dicts()] == [
        r["doc_id"] for r in search(con, "doi thoai", 50).dicts()]
    con.close()


def test_an_index_of_the_old_layout_is_rebuilt(tmp_path, store):
    from kehoach.store.search import SearchIndexStaleError, index_is_stale

    db = tmp_path / "old.duckdb"
    shutil.copy(store, db)
    con = connect(db)
    build_index(con)
    con.execute("UPDATE search_index_state SET method = 'duckdb fts 1.5.5: bm25 k1=1.2 b=0.75, term-sorted postings'")
    assert index_is_stale(con)
    with pytest.raises(SearchIndexStaleError):
        search(con, "hội nghị")
    con.close()
    result = CliRunner().invoke(app, ["search", "hội nghị", "--db", str(db)])
    assert result.exit_code == 0 and "building the search index" in result.stderr
    con = connect(db, read_only=True)
    assert not index_is_stale(con)
    con.close()

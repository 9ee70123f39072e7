"""Query latency on a synthetic store of >= 100,000 plans made by varying real records.

    .venv/bin/python bench/query.py [--plans 100000] [--runs 60] [--db PATH] [--keep]

1. The real documents in tests/fixtures (4 seed texts, 11 real .docx/.pdf/.txt
   plans) go through the real pipeline (read + extract) into a base store.
2. The base store is multiplied in SQL (INSERT … SELECT over ``range``, no
   Python loop over rows) until there are ``--plans`` plans. Replica r of a plan
   gets a new id (sha256 of the old id and r), its own serial number (local
   plans and the local documents they cite are renumbered), dates moved by
   r mod 11 − 5 years, and — for agencies of the tỉnh/huyện/xã levels — one of
   63 synthetic localities ("tỉnh Lào Cai 17"), so that an agency carries a
   realistic share of the plans. Central documents (Luật, Nghị định, …) keep
   their numbers, so they are cited by many plans, as in life.
3. The search index is built over all texts and the lookup tables are built
   (``kehoach optimize``, as ``kehoach ingest`` does at its end; a reused store
   gets whichever of them is missing or stale), then each query runs ``--runs``
   times with random arguments, after one warm-up run:

   - obligations-by-agency: ``obligations(agency=<canonical name of a random agency>)``
   - overdue-as-of: ``obligations(issuer=<random issuing agency>, overdue_as_of=<random day>)``
   - cites: ``cites(<key of a random stored citation>, limit=1000)``, what `kehoach cites KEY` runs
     (its ``--limit`` default); popular keys are drawn more often
   - cites-all-rows: the same without a limit (a national law: tens of thousands of rows)
   - search: ``search(<random query from a list of phrases seen in the plans>, limit=20)``

The figures are printed with the machine's core count; targets are p95 < 100 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIXTURES = ROOT / "tests" / "fixtures"
LOCALITIES = 63
CITES_LIMIT = 1000  # `kehoach cites --limit` default
SEARCH_QUERIES = [
    "đối thoại", "doi thoai", "Sở Nội vụ", "khoáng sản", "hội nghị tổng kết", "bầu cử", "vật liệu nổ công nghiệp",
    "kiểm tra", "cải cách hành chính", "tiếp công dân", "Mặt trận Tổ quốc", "báo cáo kết quả", "kinh phí",
    "hiệp thương", "khu công nghiệp", "an toàn", "ngân sách tỉnh", "giám sát", "thủ tục hành chính", "cử tri",
]


def say(msg: str) -> None:
    print(msg, flush=True)


def build_base(path: Path) -> int:
    """The real fixtures through the real pipeline into ``path``."""
    from kehoach.pipeline import process_file
    from kehoach.store import connect, store_record

    files = sorted(p for d in ("seeds", "real") for p in (FIXTURES / d).iterdir() if p.is_file())
    con = connect(path)
    n = 0
    for f in files:
        record, source = process_file(f)
        n += store_record(con, record, source)
    con.close()
    return n


# columns of each replicated table that change with the replica; the rest are copied
def _year_shift(col: str) -> str:
    # "2020-07-15" -> "2023-07-15" for shift 3: only the leading year moves, so any
    # precision (day, month, quarter, range start) stays valid
    return (f"CASE WHEN {col} IS NULL THEN NULL ELSE "
            f"regexp_replace({col}, '^(\\d{{4}})', (TRY_CAST(substr({col}, 1, 4) AS INTEGER) + k)::VARCHAR) END")


def _shift_range(col: str) -> str:
    return f"{col}::DATE + to_years(k)"


def multiply(con, copies: int, plans: int, order: str = "interleaved") -> None:
    """Fill the (empty, migrated) store ``con`` from the attached ``base`` store.

    ``order`` is the order plans are stored in, which decides how a lookup's rows
    lie on disk: ``interleaved`` (replica after replica, so one locality's plans
    are spread evenly over the whole file: the worst case for a lookup by
    agency) or ``archive`` (one locality's plans after another, as ingesting an
    archive kept in per-agency folders stores them).
    """
    con.execute("CREATE TEMP TABLE rep AS SELECT r, (r % 11) - 5 AS k, r % ? AS p FROM range(?) t(r)",
                [LOCALITIES, copies])
    con.execute("""
        CREATE TEMP TABLE docmap AS
        SELECT d.id AS old_id, rep.r, rep.k, rep.p, sha256(d.id || '#' || rep.r::VARCHAR) AS new_id
        FROM base.documents d CROSS JOIN rep
        QUALIFY row_number() OVER (ORDER BY rep.r, d.id) <= ?""", [plans])
    # INSERT … SELECT … ORDER BY stores rows in that order (DuckDB preserves insertion order)
    sort = "ORDER BY dm.p, dm.r" if order == "archive" else "ORDER BY dm.r, dm.old_id"
    # agencies: one variant per synthetic locality for local levels; central ones stay one row
    con.execute("""
        CREATE TEMP TABLE agmap AS
        SELECT a.id AS old_id, q.p,
               CASE WHEN a.level IN ('tinh', 'huyen', 'xa') AND a.locality IS NOT NULL
                    THEN substr(sha256(a.id || '#' || q.p::VARCHAR), 1, 16) ELSE a.id END AS new_id,
               a.level IN ('tinh', 'huyen', 'xa') AND a.locality IS NOT NULL AS local
        FROM base.agencies a CROSS JOIN (SELECT DISTINCT p FROM rep) q""")
    con.execute("""
        INSERT INTO agencies
        SELECT DISTINCT m.new_id, CASE WHEN m.local THEN a.key || ' ' || m.p::VARCHAR ELSE a.key END,
               CASE WHEN m.local THEN replace(a.name, a.locality, a.locality || ' ' || m.p::VARCHAR) ELSE a.name END,
               a.kind, a.level,
               CASE WHEN m.local THEN a.locality || ' ' || m.p::VARCHAR ELSE a.locality END,
               a.head, a.parent_id,
               CASE WHEN m.local THEN a.name_folded || ' ' || m.p::VARCHAR ELSE a.name_folded END
        FROM base.agencies a JOIN agmap m ON m.old_id = a.id
        ON CONFLICT DO NOTHING""")
    con.execute("""
        INSERT INTO agency_aliases
        SELECT DISTINCT m.new_id, CASE WHEN m.local THEN al.alias_key || ' ' || m.p::VARCHAR ELSE al.alias_key END,
               al.alias
        FROM base.agency_aliases al JOIN agmap m ON m.old_id = al.agency_id
        ON CONFLICT DO NOTHING""")

    def ag(col: str) -> str:
        return (f"(SELECT m.new_id FROM agmap m WHERE m.old_id = {col} AND m.p = dm.p)")

    renumber = "regexp_replace({c}, '^\\d+', (TRY_CAST(regexp_extract({c}, '^\\d+') AS BIGINT) + dm.r)::VARCHAR)"
    con.execute(f"""
        INSERT INTO documents SELECT d.* REPLACE (
            dm.new_id AS id,
            CASE WHEN d.number IS NULL THEN NULL ELSE {renumber.format(c='d.number')} END AS number,
            CASE WHEN d.number_key IS NULL THEN NULL ELSE {renumber.format(c='d.number_key')} END AS number_key,
            {_year_shift('d.issued_date')} AS issued_date,
            {_shift_range('d.issued_date_start')} AS issued_date_start,
            {_shift_range('d.issued_date_end')} AS issued_date_end,
            {ag('d.issuer_agency_id')} AS issuer_agency_id)
        FROM base.documents d JOIN (SELECT * FROM docmap) dm ON dm.old_id = d.id
        {sort}""")
    con.execute(f"""INSERT INTO document_texts SELECT dm.new_id, t.text
                   FROM base.document_texts t JOIN docmap dm ON dm.old_id = t.doc_id {sort}""")
    con.execute(f"""INSERT INTO document_pages SELECT p.* REPLACE (dm.new_id AS doc_id)
                   FROM base.document_pages p JOIN docmap dm ON dm.old_id = p.doc_id {sort}""")
    # local citations (issued below the centre) are renumbered with their plan; central ones keep their key
    con.execute(f"""
        INSERT INTO citations SELECT c.* REPLACE (
            dm.new_id AS doc_id,
            CASE WHEN m.local AND c.number IS NOT NULL THEN {renumber.format(c='c.number')} ELSE c.number END AS number,
            CASE WHEN m.local AND c.number IS NOT NULL THEN {renumber.format(c='c.key')} ELSE c.key END AS key,
            coalesce(m.new_id, c.issuer_agency_id) AS issuer_agency_id)
        FROM base.citations c JOIN docmap dm ON dm.old_id = c.doc_id
        LEFT JOIN agmap m ON m.old_id = c.issuer_agency_id AND m.p = dm.p
        {sort}""")
    con.execute(f"""
        INSERT INTO assignments SELECT a.* REPLACE (
            dm.new_id || '/' || a.ordinal::VARCHAR AS id, dm.new_id AS doc_id,
            {_year_shift('a.deadline')} AS deadline,
            {_shift_range('a.deadline_start')} AS deadline_start, {_shift_range('a.deadline_end')} AS deadline_end,
            coalesce(m.new_id, a.agency_id) AS agency_id)
        FROM base.assignments a JOIN docmap dm ON dm.old_id = a.doc_id
        LEFT JOIN agmap m ON m.old_id = a.agency_id AND m.p = dm.p
        {sort}""")
    con.execute(f"""
        INSERT INTO assignment_coordinators SELECT c.* REPLACE (
            dm.new_id || '/' || split_part(c.assignment_id, '/', 2) AS assignment_id, dm.new_id AS doc_id,
            coalesce(m.new_id, c.agency_id) AS agency_id)
        FROM base.assignment_coordinators c JOIN docmap dm ON dm.old_id = c.doc_id
        LEFT JOIN agmap m ON m.old_id = c.agency_id AND m.p = dm.p
        {sort}""")
    con.execute(f"""
        INSERT INTO tasks SELECT t.* REPLACE (
            dm.new_id || '/' || split_part(t.assignment_id, '/', 2) AS assignment_id, dm.new_id AS doc_id,
            {_year_shift('t.deadline')} AS deadline,
            {_shift_range('t.due_start')} AS due_start, {_shift_range('t.due_end')} AS due_end)
        FROM base.tasks t JOIN docmap dm ON dm.old_id = t.doc_id
        {sort}""")
    con.execute(f"""
        INSERT INTO deadlines SELECT x.* REPLACE (
            dm.new_id AS doc_id, {_year_shift('x.date')} AS date,
            {_shift_range('x.date_start')} AS date_start, {_shift_range('x.date_end')} AS date_end,
            list_transform(x.assignee_agency_ids,
                           i -> CASE WHEN list_contains(?, i) THEN substr(sha256(i || '#' || dm.p::VARCHAR), 1, 16)
                                ELSE i END) AS assignee_agency_ids)
        FROM base.deadlines x JOIN docmap dm ON dm.old_id = x.doc_id
        {sort}""",
                [[r[0] for r in con.execute("SELECT DISTINCT old_id FROM agmap WHERE local").fetchall()]])
    con.execute(f"""
        INSERT INTO events SELECT e.* REPLACE (
            dm.new_id AS doc_id, {_year_shift('e.start_value')} AS start_value,
            {_year_shift('e.end_value')} AS end_value,
            {_shift_range('e.date_start')} AS date_start, {_shift_range('e.date_end')} AS date_end)
        FROM base.events e JOIN docmap dm ON dm.old_id = e.doc_id
        {sort}""")
    for table in ("participants", "recipients", "dates"):
        extra = ""
        if table == "participants":
            extra = ", coalesce(m.new_id, x.agency_id) AS agency_id"
            join = "LEFT JOIN agmap m ON m.old_id = x.agency_id AND m.p = dm.p"
        else:
            join = ""
        con.execute(f"""INSERT INTO {table} SELECT x.* REPLACE (dm.new_id AS doc_id{extra})
                        FROM base.{table} x JOIN docmap dm ON dm.old_id = x.doc_id {join} {sort}""")


def timed(fn, args_list) -> list[float]:
    fn(*args_list[0])  # warm-up
    out = []
    for args in args_list:
        t = time.perf_counter()
        fn(*args)
        out.append((time.perf_counter() - t) * 1000)
    return out


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--plans", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=60)
    ap.add_argument("--db", type=Path, help="keep the synthetic store here (default: a temporary folder)")
    ap.add_argument("--reuse", action="store_true", help="reuse --db if it exists (skip generation)")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--order", choices=("interleaved", "archive"), default="interleaved",
                    help="storage order of the plans (see multiply)")
    ap.add_argument("--no-search", action="store_true", help="skip the search index and the search query")
    ap.add_argument("--verify", action="store_true",
                    help="also check that each timed lookup gives the same rows from the views (use_lookup=False)")
    args = ap.parse_args()

    import duckdb

    from kehoach.store import cites, connect, obligations
    from kehoach.store.optimize import is_fresh, optimize
    from kehoach.store.search import build_index, index_is_stale, search

    rng = random.Random(args.seed)
    tmp = tempfile.TemporaryDirectory(prefix="kehoach-bench-")
    db = args.db or Path(tmp.name) / "synthetic.duckdb"
    say(f"kehoach query benchmark — duckdb {duckdb.__version__}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f} (other processes share the machine)")
    say("SYNTHETIC STORE: generated by varying real records (tests/fixtures through the real pipeline), "
        "not real plans")
    if not (args.reuse and db.exists()):
        if db.exists():
            db.unlink()
        base = Path(tmp.name) / "base.duckdb"
        t = time.perf_counter()
        n_base = build_base(base)
        say(f"base: {n_base} real plans extracted in {time.perf_counter() - t:.1f} s")
        con = connect(db)
        # ATTACH takes no parameters; the path is this script's own temporary file
        con.execute("ATTACH '" + str(base).replace("'", "''") + "' AS base (READ_ONLY)")
        copies = -(-args.plans // n_base)
        t = time.perf_counter()
        con.begin()
        multiply(con, copies, args.plans, args.order)
        con.commit()
        con.execute("DETACH base")
        say(f"generated {args.plans} plans ({copies} variants of each, {args.order} order) "
            f"in {time.perf_counter() - t:.1f} s")
        con.execute("CHECKPOINT")
        con.close()
    con = connect(db)
    if not args.no_search and index_is_stale(con):
        t = time.perf_counter()
        build_index(con)
        say(f"search index built in {time.perf_counter() - t:.1f} s")
    if not is_fresh(con):
        t = time.perf_counter()
        optimize(con)
        say(f"lookup tables built (kehoach optimize) in {time.perf_counter() - t:.1f} s")
    con.execute("CHECKPOINT")
    con.close()
    con = connect(db, read_only=True)
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("documents", "assignments", "tasks", "assignment_coordinators", "citations", "agencies")}
    say("store: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()) + f"; file {db.stat().st_size / 2**30:.2f} GiB")

    agency_names = [r[0] for r in con.execute(
        "SELECT g.name FROM agencies g WHERE g.kind = 'agency' AND EXISTS "
        "(SELECT 1 FROM assignments a WHERE a.agency_id = g.id) ORDER BY g.id").fetchall()]
    issuer_names = [r[0] for r in con.execute(
        "SELECT DISTINCT g.name FROM agencies g JOIN documents d ON d.issuer_agency_id = g.id ORDER BY 1").fetchall()]
    keys = [r[0] for r in con.execute(
        "SELECT key FROM (SELECT key FROM citations WHERE key IS NOT NULL) "
        "USING SAMPLE reservoir(5000 ROWS) REPEATABLE (5)").fetchall()]
    days = [f"{y}-{m:02d}-01" for y in range(2018, 2031) for m in range(1, 13)]

    runs = args.runs
    cases = {
        "obligations-by-agency": (lambda name: obligations(con, agency=name),
                                  [(rng.choice(agency_names),) for _ in range(runs)]),
        "overdue-as-of": (lambda name, day: obligations(con, issuer=name, overdue_as_of=day),
                          [(rng.choice(issuer_names), rng.choice(days)) for _ in range(runs)]),
        # what `kehoach cites KEY` runs (its --limit default), then the whole list of citing plans
        "cites": (lambda key: cites(con, key, limit=CITES_LIMIT), [(rng.choice(keys),) for _ in range(runs)]),
        "cites-all-rows": (lambda key: cites(con, key), [(rng.choice(keys),) for _ in range(runs)]),
        "search": (lambda q: search(con, q, 20), [(rng.choice(SEARCH_QUERIES),) for _ in range(runs)]),
    }
    if args.no_search:
        del cases["search"]
    sizes = {"obligations-by-agency": lambda a: len(obligations(con, agency=a[0])),
             "overdue-as-of": lambda a: len(obligations(con, issuer=a[0], overdue_as_of=a[1])),
             "cites": lambda a: len(cites(con, a[0], limit=CITES_LIMIT)),
             "cites-all-rows": lambda a: len(cites(con, a[0])), "search": lambda a: len(search(con, a[0], 20))}
    say(f"{'query':<24}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'rows (median)':>15}")
    for name, (fn, arglist) in cases.items():
        ms = timed(fn, arglist)
        rows = statistics.median(sizes[name](a) for a in arglist[:15])
        say(f"{name:<24}{pct(ms, 0.5):>9.1f}{pct(ms, 0.95):>9.1f}{max(ms):>9.1f}{rows:>15.0f}")
    say(f"load average after: {os.getloadavg()[0]:.1f}")
    if args.verify:
        slow = {"obligations-by-agency": lambda a: obligations(con, agency=a[0], use_lookup=False),
                "overdue-as-of": lambda a: obligations(con, issuer=a[0], overdue_as_of=a[1], use_lookup=False),
                "cites": lambda a: cites(con, a[0], use_lookup=False, limit=CITES_LIMIT),
                "cites-all-rows": lambda a: cites(con, a[0], use_lookup=False)}
        for name, check in slow.items():
            fn, arglist = cases[name]
            same = sum(fn(*a).rows == check(a).rows for a in arglist)
            say(f"verify {name}: {same} of {len(arglist)} argument sets give the same rows as the views")
    con.close()


if __name__ == "__main__":
    main()

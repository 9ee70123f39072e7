"""Full-text search over the stored texts: ranked, with snippets and spans.

Matching is on a folded copy of each text (``search_texts.folded``): lower
case, diacritics off and đ -> d (DuckDB's own accent folding leaves đ alone),
one character for each character of the text, so an offset found in the folded
copy is an offset in the text and a match becomes a span. The user's query is
folded by the same SQL macro (``kh_fold``), so "doi thoai", "đối thoại",
"ĐỐI THOẠI" and decomposed (NFD) input are one query.

The index is a table of postings, ``search_postings``: one row per (term,
document) with its BM25 weight (k1 = 1.2, b = 0.75 and the idf of DuckDB's
full-text extension, ``match_bm25``), sorted by term, so that a query reads
only the few row groups that hold its terms. Documents are numbered
(``search_texts.doc_no``, in ``doc_id`` order), so the postings of a query's
terms are summed per integer, not per 64-character id. All query terms must
occur (conjunctive).

Earlier versions built the postings with the extension's ``PRAGMA
create_fts_index`` and copied them out of its tables; they are now counted in
plain SQL from the same tokens (the folded text split on ``[^a-z0-9]+``), which
gives the same rows and weights (checked against the extension in the tests,
and at 100,000 plans: ``duckdb-extension-fts`` stays a dependency for that
check) in less time: the postings of 100,000 plans in 3 min, the whole build in
12 min at load 3.5, where the extension took 20 min at load 4. The extension's ``match_bm25``
macro itself scans every posting of every document for each query (0.3 s at
10,000 plans), which is why it is not used for queries.

The index is rebuilt when documents were added after it was built
(``search_index_state``); ``kehoach search`` does that by itself.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any, Optional

import duckdb

from kehoach.store.errors import StoreError
from kehoach.store.queries import Rows

K1, B = 1.2, 0.75
MAX_TERMS = 32
_TERM = re.compile(r"[a-z0-9]+")
_FTS_TABLE = "search_texts"


class SearchUnavailableError(StoreError):
    """The full-text extension cannot be loaded."""


class SearchIndexStaleError(StoreError):
    """Documents were stored after the search index was built."""


# ------------------------------------------------------------------ the extension

def fts_extension_path() -> Path:
    """Where the ``duckdb-extension-fts`` package keeps the extension for this DuckDB.

    The package ships ``duckdb_extension_fts/extensions/v<duckdb version>/fts.duckdb_extension``
    and no code; its README installs it with a separate package, which is not
    needed: DuckDB loads an extension straight from a file path, offline.

    Raises:
        SearchUnavailableError: the package is not installed or has no build
            for this DuckDB version.
    """
    hint = f"install it with `pip install duckdb-extension-fts=={duckdb.__version__}`"
    try:
        root = Path(str(resources.files("duckdb_extension_fts"))) / "extensions"
    except ModuleNotFoundError as e:
        raise SearchUnavailableError("full-text search needs the duckdb-extension-fts package, "
                                     "which is not installed", hint) from e
    exact = root / f"v{duckdb.__version__}" / "fts.duckdb_extension"
    if exact.is_file():
        return exact
    found = sorted(root.glob("*/fts.duckdb_extension"))
    versions = ", ".join(p.parent.name for p in found) or "none"
    raise SearchUnavailableError(
        f"duckdb-extension-fts has no build for DuckDB {duckdb.__version__} (has: {versions})", hint)


def load_fts(con) -> None:
    """Load the full-text extension into ``con`` from the package's file.

    Raises:
        SearchUnavailableError: see ``fts_extension_path``, or DuckDB refused the file.
    """
    path = fts_extension_path()
    # LOAD takes no parameters; the path is the installed package's, never user
    # input, and quotes in it are doubled all the same.
    literal = "'" + str(path).replace("'", "''") + "'"
    try:
        con.execute(f"LOAD {literal}")
    except duckdb.Error as e:
        raise SearchUnavailableError(f"the full-text extension at {path} cannot be loaded: {e}",
                                     f"reinstall it: `pip install --force-reinstall "
                                     f"duckdb-extension-fts=={duckdb.__version__}`") from e


# ------------------------------------------------------------------ folding

def fold_char(ch: str) -> str:
    """One character folded to one character: 'Ệ' -> 'e', 'Đ' -> 'd'; the rest unchanged.

    The fallback for texts where the SQL macro would change the length.
    """
    lower = ch.lower()
    if len(lower) != 1:
        lower = ch
    base = "".join(c for c in unicodedata.normalize("NFD", lower) if not unicodedata.combining(c))
    if base == "đ":
        return "d"
    return base if len(base) == 1 else (" " if not base else lower)


class _FoldTable(dict):
    """``str.translate`` table of ``fold_char``, filled as characters are met."""

    def __missing__(self, code: int) -> str:
        folded = fold_char(chr(code))
        self[code] = folded
        return folded


_FOLD = _FoldTable()


def fold_text(text: str) -> str:
    """``text`` folded character by character (same length, same offsets)."""
    return text.translate(_FOLD)


def query_terms(con, query: str) -> tuple[str, list[str]]:
    """The folded query and its terms, folded by the same macro as the texts."""
    folded = con.execute("SELECT kh_fold(?)", [query]).fetchone()[0] or ""
    terms = list(dict.fromkeys(_TERM.findall(folded)))
    return folded, terms


# ------------------------------------------------------------------ index state and build

def _signature(con) -> tuple[int, Optional[datetime]]:
    return con.execute("SELECT count(*), max(ingested_at) FROM documents").fetchone()


# written in search_index_state.method; an index built another way is rebuilt
METHOD = f"bm25 k1={K1} b={B}, term-sorted postings by document number (v2)"


def index_is_stale(con) -> bool:
    """True when no index was built, it was built by an older method, or documents were stored after it was."""
    # build_index writes search_postings and this row in one go, so the row stands for both
    row = con.execute("SELECT documents, last_ingested_at, method FROM search_index_state").fetchone()
    return row is None or row[2] != METHOD or tuple(row[:2]) != tuple(_signature(con))


def build_index(con) -> int:
    """(Re)build the search index from ``document_texts``; returns the number of documents indexed.

    Needs a writable connection; runs in one transaction.
    """
    con.begin()
    try:
        con.execute("DELETE FROM search_index_state")
        signature = _signature(con)
        con.execute(f"CREATE OR REPLACE TABLE {_FTS_TABLE} (doc_id VARCHAR PRIMARY KEY, folded VARCHAR, doc_no INTEGER)")
        con.execute(f"INSERT INTO {_FTS_TABLE} SELECT doc_id, kh_fold(text), row_number() OVER (ORDER BY doc_id) "
                    "FROM document_texts WHERE text IS NOT NULL ORDER BY doc_id")
        # kh_fold keeps one character per character for Vietnamese; any text where it
        # does not (a character whose lower case is longer) is folded in Python instead
        uneven = con.execute(f"""
            SELECT t.doc_id, t.text FROM document_texts t JOIN {_FTS_TABLE} s USING (doc_id)
            WHERE length(t.text) <> length(s.folded)""").fetchall()
        for doc_id, text in uneven:
            con.execute(f"UPDATE {_FTS_TABLE} SET folded = ? WHERE doc_id = ?", [fold_text(text), doc_id])
        # a query's hits are fetched by number: an index scan, not a read of every folded text
        con.execute(f"CREATE UNIQUE INDEX {_FTS_TABLE}_doc_no ON {_FTS_TABLE} (doc_no)")
        n = con.execute(f"SELECT count(*) FROM {_FTS_TABLE}").fetchone()[0]
        # BM25 as match_bm25 computes it: idf = ln((N - df + 0.5) / (df + 0.5) + 1),
        # document length = its number of terms, avgdl over every indexed document
        con.execute(f"""
            CREATE OR REPLACE TABLE search_postings AS
            WITH tokens AS (
                SELECT doc_no, term
                FROM (SELECT doc_no, unnest(regexp_split_to_array(folded, '[^a-z0-9]+')) AS term FROM {_FTS_TABLE})
                WHERE term <> ''),
            tf AS (SELECT term, doc_no, count(*)::INTEGER AS tf FROM tokens GROUP BY ALL),
            len AS (SELECT doc_no, sum(tf) AS len FROM tf GROUP BY ALL),
            df AS (SELECT term, count(*) AS df FROM tf GROUP BY ALL),
            st AS (SELECT count(*) AS num_docs, avg(coalesce(len.len, 0)) AS avgdl
                   FROM {_FTS_TABLE} s LEFT JOIN len USING (doc_no))
            SELECT tf.term, tf.doc_no, tf.tf,
                   (log(((st.num_docs - df.df + 0.5) / (df.df + 0.5)) + 1)
                    * (tf.tf * ({K1} + 1) / (tf.tf + {K1} * (1 - {B} + {B} * len.len / st.avgdl))))::FLOAT AS weight
            FROM tf JOIN df USING (term) JOIN len USING (doc_no), st
            ORDER BY tf.term, tf.doc_no
        """)
        con.execute("INSERT INTO search_index_state VALUES (?, ?, ?, ?)",
                    [datetime.now(timezone.utc).replace(tzinfo=None), signature[0], signature[1], METHOD])
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return n


# ------------------------------------------------------------------ query

SEARCH_COLUMNS = ("rank", "score", "phrase", "plan_number", "plan_title", "issuer", "plan_issued_date",
                  "snippet", "match_start", "match_end", "page", "doc_id")


def _locate(folded: str, terms: list[str]) -> tuple[bool, Optional[tuple[int, int]]]:
    """Where the query matches in a folded text: the phrase if it occurs, else its first term."""
    words = r"[^a-z0-9]+".join(map(re.escape, terms))
    m = re.search(rf"(?<![a-z0-9]){words}(?![a-z0-9])", folded)
    if m:
        return True, m.span()
    for term in terms:
        m = re.search(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])", folded)
        if m:
            return False, m.span()
    return False, None


def _snippet(text: str, span: Optional[tuple[int, int]], width: int = 80) -> str:
    if span is None:
        return re.sub(r"\s+", " ", text[:2 * width]).strip()
    start, end = span
    left = max(0, start - width)
    right = min(len(text), end + width)
    before = ("…" if left > 0 else "") + text[left:start]
    after = text[end:right] + ("…" if right < len(text) else "")
    return re.sub(r"\s+", " ", f"{before}«{text[start:end]}»{after}").strip()


def search(con, query: str, limit: int = 20) -> Rows:
    """Documents matching every word of ``query``, best first, each with a snippet and a span.

    Args:
        query: words in any case, with or without diacritics (đ = d), NFC or NFD.
        limit: how many documents to return.

    Returns:
        Rows with ``SEARCH_COLUMNS``: BM25 ``score``; ``phrase`` true where the
        words occur together in this order; ``snippet`` with the match in « »;
        ``match_start``/``match_end`` the match's span in the stored text and
        ``page`` its page. Among the documents returned, phrase matches come first.

    Raises:
        ValueError: the query has no letters or digits, or too many words.
        SearchIndexStaleError: the index is missing or older than the documents.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    folded, terms = query_terms(con, query)
    if not terms:
        raise ValueError(f"the query {query!r} has no letters or digits to search for")
    if len(terms) > MAX_TERMS:
        raise ValueError(f"the query has {len(terms)} distinct words; at most {MAX_TERMS} are searched")
    if index_is_stale(con):
        raise SearchIndexStaleError("the search index is missing or older than the stored documents",
                                    "run `kehoach search` on a writable database to rebuild it")
    # one selection per term: postings are sorted by term, so each reads only its row groups;
    # doc_no follows doc_id, so ties are broken as by doc_id
    per_term = " UNION ALL ".join(["SELECT doc_no, weight FROM search_postings WHERE term = ?"] * len(terms))
    ranked = con.execute(f"""
        SELECT doc_no, sum(weight) AS score FROM ({per_term})
        GROUP BY doc_no HAVING count(*) = ?
        ORDER BY score DESC, doc_no LIMIT ?""", [*terms, len(terms), limit]).fetchall()
    # Point lookups with a constant IN list (an index scan): a join or a list
    # parameter would read every stored text.
    found: dict[str, tuple] = {}
    pages: dict[str, list[tuple[int, int]]] = {}
    hits: list[tuple[str, float]] = []
    folded_of: dict[str, str] = {}
    if ranked:
        marks = ", ".join(["?"] * len(ranked))
        # the folded text the index was built from (kh_fold, or fold_text where that
        # changed the length): offsets in it are offsets in the text, no folding again here
        indexed = {no: (doc_id, folded) for no, doc_id, folded in con.execute(
            f"SELECT doc_no, doc_id, folded FROM {_FTS_TABLE} WHERE doc_no IN ({marks})",
            [r[0] for r in ranked]).fetchall()}
        hits = [(indexed[no][0], score) for no, score in ranked if no in indexed]
        folded_of = dict(indexed.values())
        doc_ids = [h[0] for h in hits]
        marks = ", ".join(["?"] * len(doc_ids))
        texts = dict(con.execute(f"SELECT doc_id, text FROM document_texts WHERE doc_id IN ({marks})",
                                 doc_ids).fetchall())
        for doc_id, *header in con.execute(
                f"SELECT id, number, title, issuer, issued_date FROM documents WHERE id IN ({marks})",
                doc_ids).fetchall():
            if doc_id in texts:
                found[doc_id] = (texts[doc_id], *header)
        for doc_id, page, start in con.execute(
                "SELECT doc_id, page, start_offset FROM document_pages WHERE list_contains(?, doc_id) "
                "ORDER BY doc_id, start_offset", [doc_ids]).fetchall():
            pages.setdefault(doc_id, []).append((start, page))
    rows: list[dict[str, Any]] = []
    for doc_id, score in hits:
        if doc_id not in found:
            continue
        text, number, title, issuer, issued = found[doc_id]
        phrase, span = _locate(folded_of[doc_id], terms)
        page = None
        if span is not None:
            page = next((p for start, p in reversed(pages.get(doc_id, [])) if start <= span[0]), None)
        rows.append({"score": round(float(score), 4), "phrase": phrase, "plan_number": number,
                     "plan_title": title, "issuer": issuer, "plan_issued_date": issued,
                     "snippet": _snippet(text, span), "match_start": span[0] if span else None,
                     "match_end": span[1] if span else None, "page": page, "doc_id": doc_id})
    rows.sort(key=lambda r: (not r["phrase"], -r["score"], r["doc_id"]))
    for i, r in enumerate(rows, 1):
        r["rank"] = i
    return Rows(list(SEARCH_COLUMNS), [tuple(r[c] for c in SEARCH_COLUMNS) for r in rows])

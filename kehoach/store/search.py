"""Full-text search over the stored texts: ranked, with snippets and spans.

Matching is on a folded copy of each text (``search_texts.folded``): lower
case, diacritics off and đ -> d (DuckDB's own accent folding leaves đ alone),
one character for each character of the text, so an offset found in the folded
copy is an offset in the text and a match becomes a span. The user's query is
folded by the same SQL macro (``kh_fold``), so "doi thoai", "đối thoại",
"ĐỐI THOẠI" and decomposed (NFD) input are one query.

The index is built by DuckDB's full-text extension (``PRAGMA
create_fts_index``, loaded offline from the ``duckdb-extension-fts`` package,
stemmer and stop words off: Vietnamese syllables are not English words). Its
``match_bm25`` macro scans every posting of every document for each query
(measured: 0.3 s at 10,000 plans), so the build ends by copying the postings
into ``search_postings``, one row per (term, document) with its BM25 weight
(same k1 = 1.2, b = 0.75 and idf as ``match_bm25``), sorted by term: a query
then reads only the few row groups that hold its terms. The extension's own
tables are dropped after the copy. All query terms must occur (conjunctive).

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


def index_is_stale(con) -> bool:
    """True when no index was built, or documents were stored after it was."""
    # build_index writes search_postings and this row in one go, so the row stands for both
    row = con.execute("SELECT documents, last_ingested_at FROM search_index_state").fetchone()
    return row is None or tuple(row) != tuple(_signature(con))


def build_index(con) -> int:
    """(Re)build the search index from ``document_texts``; returns the number of documents indexed.

    Needs a writable connection and the full-text extension.

    Raises:
        SearchUnavailableError: the extension cannot be loaded.
    """
    load_fts(con)
    # The extension's PRAGMAs create and drop tables in ways one explicit
    # transaction refuses, so the build runs statement by statement; the state
    # row is removed first and written last, so a build that stops half-way
    # leaves the index marked stale and the next search rebuilds it.
    con.execute("DELETE FROM search_index_state")
    signature = _signature(con)
    con.execute(f"CREATE OR REPLACE TABLE {_FTS_TABLE} (doc_id VARCHAR PRIMARY KEY, folded VARCHAR)")
    con.execute(f"INSERT INTO {_FTS_TABLE} SELECT doc_id, kh_fold(text) FROM document_texts WHERE text IS NOT NULL")
    # kh_fold keeps one character per character for Vietnamese; any text where it
    # does not (a character whose lower case is longer) is folded in Python instead
    uneven = con.execute(f"""
        SELECT t.doc_id, t.text FROM document_texts t JOIN {_FTS_TABLE} s USING (doc_id)
        WHERE length(t.text) <> length(s.folded)""").fetchall()
    for doc_id, text in uneven:
        con.execute(f"UPDATE {_FTS_TABLE} SET folded = ? WHERE doc_id = ?", [fold_text(text), doc_id])
    n = con.execute(f"SELECT count(*) FROM {_FTS_TABLE}").fetchone()[0]
    con.execute("CREATE OR REPLACE TABLE search_postings (term VARCHAR, doc_id VARCHAR, tf INTEGER, weight FLOAT)")
    if n:
        con.execute(f"""PRAGMA create_fts_index('{_FTS_TABLE}', 'doc_id', 'folded', stemmer = 'none',
                        stopwords = 'none', ignore = '[^a-z0-9]+', strip_accents = 0, lower = 0,
                        overwrite = 1)""")
        schema = f"fts_main_{_FTS_TABLE}"
        con.execute(f"""
            INSERT INTO search_postings
            SELECT dict.term, docs.name, t.tf,
                   (log(((st.num_docs - dict.df + 0.5) / (dict.df + 0.5)) + 1)
                    * (t.tf * ({K1} + 1) / (t.tf + {K1} * (1 - {B} + {B} * docs.len / st.avgdl))))::FLOAT
            FROM (SELECT termid, docid, count(*)::INTEGER AS tf FROM {schema}.terms GROUP BY ALL) t
            JOIN {schema}.dict dict ON dict.termid = t.termid
            JOIN {schema}.docs docs ON docs.docid = t.docid,
                 {schema}.stats st
            ORDER BY dict.term, docs.name
        """)
        con.execute(f"PRAGMA drop_fts_index('{_FTS_TABLE}')")
    con.execute("DELETE FROM search_index_state")
    con.execute("INSERT INTO search_index_state VALUES (?, ?, ?, ?)",
                [datetime.now(timezone.utc).replace(tzinfo=None), signature[0], signature[1],
                 f"duckdb fts {duckdb.__version__}: bm25 k1={K1} b={B}, term-sorted postings"])
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
    # one selection per term: postings are sorted by term, so each reads only its row groups
    per_term = " UNION ALL ".join(["SELECT doc_id, weight FROM search_postings WHERE term = ?"] * len(terms))
    hits = con.execute(f"""
        SELECT doc_id, sum(weight) AS score FROM ({per_term})
        GROUP BY doc_id HAVING count(*) = ?
        ORDER BY score DESC, doc_id LIMIT ?""", [*terms, len(terms), limit]).fetchall()
    pages: dict[str, list[tuple[int, int]]] = {}
    if hits:
        for doc_id, page, start in con.execute(
                "SELECT doc_id, page, start_offset FROM document_pages WHERE list_contains(?, doc_id) "
                "ORDER BY doc_id, start_offset", [[h[0] for h in hits]]).fetchall():
            pages.setdefault(doc_id, []).append((start, page))
    rows: list[dict[str, Any]] = []
    for doc_id, score in hits:
        # point lookups by primary key: a join or an IN list would read every stored text
        found = con.execute("""
            SELECT t.text, d.number, d.title, d.issuer, d.issued_date
            FROM document_texts t, documents d WHERE t.doc_id = ? AND d.id = ?""", [doc_id, doc_id]).fetchone()
        if found is None:
            continue
        text, number, title, issuer, issued = found
        # the same folding as kh_fold, character for character, so offsets carry over
        phrase, span = _locate(text.translate(_FOLD), terms)
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

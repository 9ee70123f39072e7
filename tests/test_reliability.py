"""Bad input in a batch: every broken, hostile or oversized file gives one classified row in
``ingest_errors`` (path, stage, reason) while the rest of the batch is stored.

One folder holds every case of ``CASES`` next to good documents; `kehoach ingest`
runs on it once, and each case is then checked on its own (``test_bad_input[id]``).
``docs/reliability.md`` is rendered from these tables (see test_reliability_doc.py),
so the document says what these tests check.

Files are built at run time from the real fixtures (tests/badfiles.py).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import duckdb
import pytest
from typer.testing import CliRunner

import badfiles as B
from kehoach.cli import app
from kehoach.ingest import DocumentLoadError, read_document

ELLIPSIS = "…"


@dataclass(frozen=True)
class Case:
    """One input and what kehoach must do with it.

    stage None means: stored as a document. ``reason`` is the error's reason (or, for a
    stored file, one of its warnings); a trailing "…" means "this prefix, then details
    from the library" (an lxml or zipfile message), otherwise the text is exact.
    """

    id: str
    input: str
    build: Callable[[Path], Path]
    stage: Optional[str]
    reason: Optional[str] = None

    def reason_matches(self, observed: str) -> bool:
        if self.reason.endswith(ELLIPSIS):
            return observed.startswith(self.reason[:-1])
        return observed == self.reason


def _w(name: str, data: bytes | Callable[[], bytes]) -> Callable[[Path], Path]:
    return lambda d: B.write(d / name, data() if callable(data) else data)


def _copy(name: str, src: Callable[[], Path]) -> Callable[[Path], Path]:
    return lambda d: Path(shutil.copyfile(src(), d / name))


def _huge_text(d: Path) -> Path:
    """50 MB of real Vietnamese text (seed 001 repeated), written without holding it twice."""
    chunk = B.seed("001").read_bytes()
    path = d / "huge 50MB.txt"
    with path.open("wb") as fh:
        for _ in range(50 * 1024 * 1024 // len(chunk) + 1):
            fh.write(chunk)
        fh.truncate(50 * 1024 * 1024)
    return path


def _stray_byte(d: Path) -> Path:
    data = B.seed("002").read_bytes()
    cut = data.index(b"\n", 400) + 1  # between two lines: no character is split
    return B.write(d / "stray byte.txt", data[:cut] + b"\xff" + data[cut:])


def _xxe(pad: int) -> Callable[[Path], Path]:
    def build(d: Path) -> Path:
        return B.write(d / f"xxe{pad}.docx", B.xxe_docx(canary_file(d.parent), pad))
    return build


def canary_file(base: Path) -> Path:
    path = base / "canary-secret.txt"
    if not path.exists():
        path.write_text("CANARY-4711-SECRET", encoding="utf-8")
    return path


PDF_016 = lambda: B.real("016")  # noqa: E731 - read lazily, at build time
NFD_NAME = unicodedata.normalize("NFD", "Kế hoạch tổng kết.txt")

CASES: list[Case] = [
    # --- empty and junk
    Case("empty-txt", "zero-byte .txt", _w("empty.txt", b""), "read", "empty file"),
    Case("empty-pdf", "zero-byte .pdf", _w("empty.pdf", b""), "read", "empty file"),
    Case("empty-docx", "zero-byte .docx", _w("empty.docx", b""), "read", "empty file"),
    Case("blank-txt", ".txt of spaces, tabs and newlines", _w("blank.txt", b" \t\r\n \n\n  "), "read", "empty file"),
    Case("control-txt", ".txt of control characters only", _w("control.txt", bytes(range(1, 9)) * 64), "read",
         "no text after normalization"),
    Case("junk-txt", "random bytes named .txt", _w("junk.txt", random.Random(7).randbytes(4096)), "decode",
         "binary content: not a text file (NUL bytes, not UTF-8/UTF-16)"),
    Case("junk-no-nul-txt", "random bytes without NUL named .txt",
         _w("junk2.txt", bytes(b for b in random.Random(7).randbytes(8192) if b)[:4096]), "decode",
         "unknown text encoding: not UTF-8, UTF-16 or Windows-1258 Vietnamese"),
    Case("png-txt", "a PNG image named .txt", _w("image.txt", b"\x89PNG\r\n\x1a\n" + random.Random(3).randbytes(3000)),
         "decode", "binary content: not a text file (NUL bytes, not UTF-8/UTF-16)"),
    Case("huge-txt", "50 MB text file (default limits)", _huge_text, "limit",
         "text too long: a 50.0 MB text file (limit 1,000,000 characters)"),
    Case("stray-byte-txt", "UTF-8 Vietnamese text with one invalid byte", _stray_byte, None,
         "decoded as utf-8 with 1 invalid byte sequence replaced by U+FFFD"),
    # --- PDF
    Case("truncated-pdf", "real PDF (016) cut at half its size", _w("truncated.pdf", lambda: PDF_016().read_bytes()[
        : len(PDF_016().read_bytes()) // 2]), "parse", "corrupt PDF: not a PDF or damaged"),
    Case("truncated-tail-pdf", "real PDF (016) missing its last 1% (xref, %EOF)",
         _w("cut tail.pdf", lambda: PDF_016().read_bytes()[: len(PDF_016().read_bytes()) * 99 // 100]), None,
         "file looks truncated (no %EOF at the end); text may be incomplete"),
    Case("garbage-pdf", "%PDF header then random bytes", _w("garbage.pdf", b"%PDF-1.7\n"
                                                           + random.Random(1).randbytes(5000)),
         "parse", "corrupt PDF: not a PDF or damaged"),
    Case("html-pdf", "an HTML page named .pdf", _w("page.pdf", b"<!doctype html><html>404</html>"), "parse",
         "not a PDF file (no %PDF header)"),
    Case("encrypted-pdf", "PDF encrypted with a user password (RC4)",
         _w("encrypted.pdf", lambda: B.pdf([B.PLAN_LINES], user_password="secret")), "parse",
         "password required (encrypted PDF)"),
    Case("owner-password-pdf", "PDF encrypted with an owner password only (opens without one)",
         _w("protected.pdf", lambda: B.pdf([B.PLAN_LINES], owner_password="owner")), None),
    Case("zero-page-pdf", "PDF with an empty page tree", _w("zero pages.pdf", lambda: B.pdf([])), "parse",
         "PDF has no pages"),
    # --- .docx
    Case("not-zip-docx", "plain text named .docx", _w("text.docx", "KẾ HOẠCH số 12".encode()), "parse",
         "not a .docx (zip) file"),
    Case("truncated-docx", "real .docx (035) cut at 30 KB", _w("truncated.docx", lambda: B.real("035").read_bytes()[
        :30000]), "parse", "corrupt zip archive (truncated or damaged: …"),
    Case("broken-xml-docx", ".docx whose document.xml is cut in half", _w("broken xml.docx", B.broken_xml_docx),
         "parse", "corrupt document XML: …"),
    Case("zip-bomb-docx", ".docx zip bomb: document.xml inflates to 210 MB (200 KB on disk)",
         _w("bomb.docx", B.zip_bomb_docx), "parse",
         "refused: word/document.xml is 210 MB uncompressed (limit 200 MB; zip bomb?)"),
    Case("lying-zip-docx", ".docx whose zip entry declares 1000 bytes but inflates to 5 MB",
         _w("lying.docx", B.lying_zip_docx), "parse", "corrupt zip archive: word/document.xml: …"),
    Case("xxe-docx", ".docx with an external entity naming a local file", _xxe(0), "parse",
         "refused: DOCTYPE/ENTITY declaration in word/document.xml (not valid in Office XML; "
         "possible entity attack)"),
    Case("xxe-padded-docx", ".docx with the external entity after a 70 KB comment", _xxe(70_000), "parse",
         "refused: word/document.xml has no root element in its first 64 KB (padded XML prolog)"),
    Case("billion-laughs-docx", ".docx with exponential entities (billion laughs)",
         _w("laughs.docx", B.billion_laughs_docx), "parse",
         "refused: DOCTYPE/ENTITY declaration in word/document.xml (not valid in Office XML; "
         "possible entity attack)"),
    # --- hostile file names, good content: stored under their exact path
    Case("name-spaces", "file name with spaces", _copy("kế hoạch   số 1.txt", lambda: B.seed("001")), None),
    Case("name-quotes", "file name with quotes", _copy("""it's "quoted".txt""", lambda: B.seed("003")), None),
    Case("name-dash", "file name starting with a dash", _copy("-rf --help.txt", lambda: B.seed("004")), None),
    Case("name-nfd", "file name in NFD (decomposed) Unicode", _copy(NFD_NAME, lambda: B.real("013")), None),
    Case("name-shell", "file name with shell syntax", _copy("$(touch pwned); `id` | x.txt", lambda: B.real("052")),
         None),
    Case("name-newline", "file name with a newline", _copy("line\nbreak.docx", lambda: B.real("035")), None),
    Case("name-dash-bad", "bad file with a hostile name", _w("-x 'empty' $(id).pdf", b""), "read", "empty file"),
    # --- good documents in the same batch
    Case("good-pdf", "real text-layer PDF (016)", _copy("016.pdf", PDF_016), None),
    Case("good-docx", "real .docx (010)", _copy("010.docx", lambda: B.real("010")), None),
]


def invoke(*args: str, env: Optional[dict] = None):
    return CliRunner().invoke(app, list(args), env=env)


def query(db: Path, sql: str, params: Optional[list] = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@dataclass
class Observed:
    path: str
    stored: bool
    stage: Optional[str] = None
    reason: Optional[str] = None
    hint: Optional[str] = None
    sha256: Optional[str] = None
    warnings: tuple[str, ...] = ()
    text: str = ""


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Ingest one folder holding every case; return (result, db, {case id: Observed})."""
    base = tmp_path_factory.mktemp("reliability")
    folder = base / "archive with spaces"
    folder.mkdir()
    paths = {c.id: c.build(folder) for c in CASES}
    assert len(set(paths.values())) == len(CASES)
    db = base / "k.duckdb"
    result = invoke("ingest", str(folder), "--db", str(db), "--quiet")
    observed: dict[str, Observed] = {}
    for cid, path in paths.items():
        key = os.path.abspath(path)
        errors = query(db, "SELECT stage, reason, hint, sha256 FROM ingest_errors WHERE path = ?", [key])
        docs = query(db, "SELECT d.record_json, t.text FROM documents d LEFT JOIN document_texts t ON t.doc_id = d.id "
                         "WHERE d.path = ?", [key])
        assert len(errors) + len(docs) == 1, f"{cid}: {len(errors)} error rows, {len(docs)} documents"
        if docs:
            record = json.loads(docs[0][0])
            observed[cid] = Observed(key, True, warnings=tuple(record["source"]["warnings"]), text=docs[0][1])
        else:
            stage, reason, hint, sha = errors[0]
            observed[cid] = Observed(key, False, stage, reason, hint, sha)
    return result, db, observed, base


def test_batch_goes_on_and_counts_every_file(batch):
    result, db, observed, _ = batch
    n_bad = sum(c.stage is not None for c in CASES)
    n_good = len(CASES) - n_bad
    assert result.exit_code == 2, result.output
    assert "failed" in result.stdout and "Failed files" in result.stdout
    assert query(db, "SELECT count(*) FROM documents") == [(n_good,)]
    assert query(db, "SELECT count(*) FROM ingest_errors") == [(n_bad,)]
    # nothing leaks from a hostile file into the store: not the canary, not an entity
    assert query(db, "SELECT count(*) FROM document_texts WHERE contains(text, 'CANARY')") == [(0,)]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(batch, case):
    _, _, observed, _ = batch
    got = observed[case.id]
    if case.stage is None:
        assert got.stored, f"{case.id}: not stored: {got.stage}: {got.reason}"
        assert Path(got.path).is_file()  # the stored path leads back to the file, whatever its name
        if case.reason:
            assert any(case.reason_matches(w) for w in got.warnings), got.warnings
        assert got.text.strip()
    else:
        assert not got.stored, f"{case.id}: stored, expected a {case.stage} error"
        assert got.stage == case.stage, (got.stage, got.reason)
        assert case.reason_matches(got.reason), got.reason
        assert got.hint, "every error row says how to fix it"
        assert got.sha256 and len(got.sha256) == 64


def test_hostile_names_keep_their_exact_bytes(batch):
    _, db, observed, _ = batch
    stored = {p for (p,) in query(db, "SELECT path FROM documents")}
    nfd = observed["name-nfd"].path
    assert nfd in stored and not unicodedata.is_normalized("NFC", nfd)  # not silently renamed
    assert "\n" in observed["name-newline"].path
    assert not (Path.cwd() / "pwned").exists()


def test_rerun_logs_errors_again_and_stores_nothing_twice(batch, tmp_path):
    """A second run over the same folder: stored files are present, bad ones fail again (one row per attempt)."""
    result, db, _, base = batch
    copy = tmp_path / "k.duckdb"
    shutil.copyfile(db, copy)
    again = invoke("ingest", str(base / "archive with spaces"), "--db", str(copy), "--quiet")
    n_bad = sum(c.stage is not None for c in CASES)
    assert again.exit_code == 2
    assert query(copy, "SELECT count(*) FROM documents") == [(len(CASES) - n_bad,)]
    assert query(copy, "SELECT count(*) FROM ingest_errors") == [(2 * n_bad,)]


def test_explicit_file_with_leading_dash(tmp_path, monkeypatch):
    """`kehoach ingest -- -name.txt`: after "--" a leading dash is a file name, not an option."""
    shutil.copyfile(B.seed("004"), tmp_path / "-v.txt")
    monkeypatch.chdir(tmp_path)
    result = invoke("ingest", "--db", "k.duckdb", "--quiet", "--", "-v.txt")
    assert result.exit_code == 0, result.output
    assert query(tmp_path / "k.duckdb", "SELECT filename FROM documents") == [("-v.txt",)]


# ---------------------------------------------------------------------------
# external entities are never resolved, even past kehoach's own check
# ---------------------------------------------------------------------------

def test_xxe_not_resolved_even_without_the_package_check(tmp_path, monkeypatch):
    """The canary's text never reaches the document, whether or not kehoach's DOCTYPE check runs."""
    import kehoach.ingest.docx as docx_module

    canary = canary_file(tmp_path)
    path = B.write(tmp_path / "xxe.docx", B.xxe_docx(canary))
    monkeypatch.setattr(docx_module, "_has_dtd", lambda head: False)  # the first line of defence is off
    st = read_document(path)  # python-docx parses with resolve_entities=False
    assert "CANARY" not in st.text
    assert "Lương Minh" in st.text  # the document itself was read


# ---------------------------------------------------------------------------
# unreadable files
# ---------------------------------------------------------------------------

def _drop_root_file_powers() -> None:
    """preexec_fn: drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the bounding set.

    Root keeps its uid, but after exec it no longer bypasses file permissions, so
    chmod 000 refuses it as it refuses anyone (what `setpriv --bounding-set=-dac_override` does).
    """
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) refused")


def _run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:
        kwargs["preexec_fn"] = _drop_root_file_powers
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, **kwargs)


def test_unreadable_file_is_an_open_error(tmp_path):
    """chmod 000 on one file of a batch: a real "Permission denied", logged with stage "open".

    Root reads any file, so where the suite runs as root the ingest runs with root's
    file-permission override dropped (see ``_drop_root_file_powers``). Where even that
    is not allowed (a container without CAP_SETPCAP) the test is skipped, and
    test_unreadable_file_simulated checks the same path in-process.
    """
    shutil.copyfile(B.seed("001"), tmp_path / "ok.txt")
    locked = B.write(tmp_path / "locked.txt", B.seed("002").read_bytes())
    locked.chmod(0)
    try:
        probe = _run([sys.executable, "-c", f"open({str(locked)!r}).read()"])
    except (OSError, subprocess.SubprocessError) as e:
        pytest.skip(f"cannot drop root's file permissions here ({e}): covered by the simulated test")
    if probe.returncode == 0:
        pytest.skip("a chmod 000 file is still readable here (root with CAP_DAC_OVERRIDE kept): "
                    "covered by the simulated test")
    db = tmp_path / "k.duckdb"
    r = _run([sys.executable, "-m", "kehoach.cli", "ingest", str(tmp_path), "--db", str(db), "--quiet"])
    assert r.returncode == 2, r.stdout + r.stderr
    assert query(db, "SELECT filename FROM documents") == [("ok.txt",)]
    rows = query(db, "SELECT path, stage, reason, hint FROM ingest_errors")
    assert rows == [(str(locked), "open", "cannot open: Permission denied", "check that the file is readable")]


def test_unreadable_file_simulated(tmp_path, monkeypatch):
    """The same batch with ``open`` refused for one file (what chmod 000 does for a non-root user)."""
    import builtins

    shutil.copyfile(B.seed("001"), tmp_path / "ok.txt")
    locked = B.write(tmp_path / "locked.txt", B.seed("002").read_bytes())
    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and os.path.abspath(file) == str(locked):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(Path, "read_bytes", lambda self: real_read_bytes(self, guarded_open))
    db = tmp_path / "k.duckdb"
    # --workers 0: extraction in this process, where ``open`` is patched
    result = invoke("ingest", str(tmp_path), "--db", str(db), "--quiet", "--workers", "0")
    assert result.exit_code == 2, result.output
    assert query(db, "SELECT filename FROM documents") == [("ok.txt",)]
    assert query(db, "SELECT path, stage, reason FROM ingest_errors") == [
        (str(locked), "open", "cannot open: Permission denied")]


def real_read_bytes(path: Path, opener) -> bytes:
    with opener(path, "rb") as fh:
        return fh.read()


# ---------------------------------------------------------------------------
# files that never end: a FIFO, a character device
# ---------------------------------------------------------------------------

@pytest.fixture
def hang_guard():
    """Fail instead of hanging for ever if a read blocks (a FIFO with no writer does)."""
    import signal

    def timeout(signum, frame):
        raise TimeoutError("blocked reading a file that never ends")

    old = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_fifo_and_device_named_explicitly(tmp_path, hang_guard):
    """`kehoach ingest pipe.txt /dev/zero ok.txt`: the two are refused unopened, ok.txt is stored."""
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    shutil.copyfile(B.seed("004"), tmp_path / "ok.txt")
    db = tmp_path / "k.duckdb"
    result = invoke("ingest", str(fifo), "/dev/zero", str(tmp_path / "ok.txt"), "--db", str(db), "--quiet")
    assert result.exit_code == 2, result.output
    assert query(db, "SELECT path, stage, reason FROM ingest_errors ORDER BY path") == [
        ("/dev/zero", "open", "not a regular file (character device)"),
        (str(fifo), "open", "not a regular file (FIFO)")]
    assert query(db, "SELECT filename FROM documents") == [("ok.txt",)]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_read_document_refuses_a_fifo(tmp_path, hang_guard):
    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)
    with pytest.raises(DocumentLoadError) as err:
        read_document(fifo)
    assert (err.value.stage, err.value.reason) == ("open", "not a regular file (FIFO)")

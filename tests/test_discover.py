"""File discovery: a lazy, deterministic walk that survives hostile folders."""

from __future__ import annotations

import errno
import os
import shutil
import unicodedata
from pathlib import Path

import pytest

from conftest import SEED_TEXTS
from kehoach.ingest import discover as discover_mod
from kehoach.ingest.discover import discover, storable

SEED = SEED_TEXTS / "004_1de52a3aaf0af248.txt"


def found(paths, kind=None):
    return [(f.kind, f.shown) for f in discover(paths) if kind is None or f.kind == kind]


@pytest.fixture
def tree(tmp_path) -> Path:
    root = tmp_path / "archive"
    (root / "b").mkdir(parents=True)
    (root / "a" / "deep").mkdir(parents=True)
    (root / ".git").mkdir()
    for rel in ["z.txt", "b/2.pdf", "b/1.docx", "a/x.txt", "a/deep/y.md", ".git/inside.txt"]:
        (root / rel).write_bytes(b"x")
    (root / "notes.xyz").write_bytes(b"x")
    (root / ".hidden.txt").write_bytes(b"x")
    (root / "~$lock.docx").write_bytes(b"x")
    (root / "UPPER.PDF").write_bytes(b"x")
    return root


def test_walk_is_sorted_depth_first_with_files_before_folders(tree):
    assert found([tree], "file") == [
        ("file", "archive/UPPER.PDF"), ("file", "archive/z.txt"),
        ("file", "archive/a/x.txt"), ("file", "archive/a/deep/y.md"),
        ("file", "archive/b/1.docx"), ("file", "archive/b/2.pdf"),
    ]


def test_hidden_and_unsupported_are_skipped_with_a_reason(tree):
    skipped = {f.shown: f.reason for f in discover([tree]) if f.kind == "skipped"}
    assert skipped == {"archive/.hidden.txt": "hidden file", "archive/notes.xyz": "unsupported type .xyz",
                       "archive/~$lock.docx": "hidden file"}
    assert not any("inside.txt" in shown for _, shown in found([tree]))  # hidden folder not entered


def test_explicit_file_is_always_tried(tree):
    # an unsupported file named by the user goes to the reader, which names the supported types
    assert found([tree / "notes.xyz"]) == [("file", str(tree / "notes.xyz"))]


def test_each_file_once_across_overlapping_arguments_and_links(tree):
    os.link(tree / "z.txt", tree / "b" / "hardlink.txt")
    (tree / "b" / "alias.txt").symlink_to(tree / "a" / "x.txt")
    files = [shown for kind, shown in found([tree, tree / "a", tree / "z.txt"]) if kind == "file"]
    assert len(files) == 6
    dupes = {f.shown: f.reason for f in discover([tree]) if f.kind == "skipped" and "another name" in (f.reason or "")}
    assert set(dupes) == {"archive/b/alias.txt", "archive/b/hardlink.txt"}


def test_symlink_loop_ends(tree):
    (tree / "a" / "deep" / "up").symlink_to(tree)          # back to the top
    (tree / "b" / "self").symlink_to(tree / "b")           # to itself
    (tree / "b" / "loop.txt").symlink_to(tree / "b" / "loop.txt")  # a file link to itself
    items = list(discover([tree]))
    assert [s for k, s in ((f.kind, f.shown) for f in items) if k == "file"] == [
        "archive/UPPER.PDF", "archive/z.txt", "archive/a/x.txt", "archive/a/deep/y.md",
        "archive/b/1.docx", "archive/b/2.pdf"]
    errors = {f.shown: f.reason for f in items if f.kind == "error"}
    assert errors == {"archive/b/loop.txt": "symbolic link loop"}
    loops = [f.shown for f in items if f.kind == "skipped" and "already walked" in (f.reason or "")]
    assert loops == ["archive/a/deep/up", "archive/b/self"]


def test_broken_link_is_an_error_naming_the_file(tree):
    (tree / "gone.pdf").symlink_to(tree / "missing.pdf")
    [err] = [f for f in discover([tree]) if f.kind == "error"]
    assert err.shown == "archive/gone.pdf" and err.stage == "open"
    assert "broken symbolic link" in err.reason


def test_unlistable_folder_is_an_error_not_a_crash(tree, monkeypatch):
    # root can list any folder, so refuse it the way the kernel does for others
    real = os.scandir
    blocked = str(tree / "b")

    def scandir(path):
        if os.fspath(path) == blocked:
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real(path)

    monkeypatch.setattr(discover_mod.os, "scandir", scandir)
    items = list(discover([tree]))
    [err] = [f for f in items if f.kind == "error"]
    assert err.shown == "archive/b" and err.reason == "cannot list folder: permission denied"
    assert "permission" in err.hint
    assert [f.shown for f in items if f.kind == "file"][-1] == "archive/a/deep/y.md"  # the rest is walked


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads folders whatever their mode (covered above)")
def test_unlistable_folder_by_mode(tree):
    (tree / "b").chmod(0)
    try:
        errors = [f for f in discover([tree]) if f.kind == "error"]
    finally:
        (tree / "b").chmod(0o755)
    assert [f.shown for f in errors] == ["archive/b"]


HOSTILE = ["with space.txt", "it's \"quoted\".txt", "-leading-dash.txt",
           unicodedata.normalize("NFD", "Kế hoạch số 5.txt")]


def test_hostile_names_are_found_as_spelled(tmp_path):
    for name in HOSTILE:
        shutil.copy(SEED, tmp_path / name)
    names = [Path(f.path).name for f in discover([tmp_path]) if f.kind == "file"]
    assert sorted(names) == sorted(HOSTILE)
    nfd = [n for n in names if "ho" in n][0]
    assert nfd != unicodedata.normalize("NFC", nfd)  # not normalized: the path must still open
    assert all(Path(f.path).is_file() for f in discover([tmp_path]))


def test_undecodable_name_is_storable(tmp_path):
    raw = os.path.join(os.fsencode(tmp_path), b"bad-\xff-name.txt")
    with open(raw, "wb") as f:
        f.write(SEED.read_bytes())
    [item] = [f for f in discover([tmp_path]) if f.kind == "file"]
    assert Path(item.path).is_file()
    assert storable(item.path).endswith("bad-\\xff-name.txt")
    storable(item.path).encode("utf-8")  # valid UTF-8 for the database


def test_walk_is_lazy(tmp_path, monkeypatch):
    for i in range(5):
        (tmp_path / f"d{i}").mkdir()
        (tmp_path / f"d{i}" / "f.txt").write_bytes(b"x")
    calls = []
    real = os.scandir
    monkeypatch.setattr(discover_mod.os, "scandir", lambda p: calls.append(p) or real(p))
    it = discover([tmp_path])
    first = next(it)
    assert first.shown.endswith("d0/f.txt")
    assert len(calls) == 2  # the top folder and the first sub-folder, nothing more yet
    assert len(list(it)) == 4


def test_missing_argument_is_an_error(tmp_path):
    [err] = list(discover([tmp_path / "nope"]))
    assert err.kind == "error" and err.explicit and err.reason.startswith("no such file")

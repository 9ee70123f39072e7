"""Optional system tools some formats need, how to find them, how to install them.

kehoach reads .txt/.docx/text PDFs with Python packages alone. Three formats
need programs from the system: .doc (LibreOffice, or antiword as a fast
fallback), scanned PDFs and page images (Tesseract with the Vietnamese model).
Readers ask for a tool with ``require``; a missing one is a DocumentLoadError
(stage "tool") that names the tool and the exact install command, so a batch
records the file as unreadable-here and goes on. ``kehoach doctor`` prints
``check_all``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

from kehoach.ingest.base import DocumentLoadError


@dataclass(frozen=True)
class Tool:
    name: str
    executables: tuple[str, ...]  # first found on PATH wins
    apt: tuple[str, ...]          # Debian/Ubuntu packages
    purpose: str
    env: str                      # environment variable that may name the executable


TOOLS: dict[str, Tool] = {
    "libreoffice": Tool("libreoffice", ("soffice", "libreoffice"), ("libreoffice-writer-nogui",),
                        ".doc (Word 97-2003) files, converted to .docx", "KEHOACH_SOFFICE"),
    "antiword": Tool("antiword", ("antiword",), ("antiword",),
                     ".doc files when LibreOffice is absent (plain text, no tables or fonts)", "KEHOACH_ANTIWORD"),
    "tesseract": Tool("tesseract", ("tesseract",), ("tesseract-ocr", "tesseract-ocr-vie"),
                      "OCR of scanned PDFs, broken PDF text layers and page images (.jpg/.png/.tif)",
                      "KEHOACH_TESSERACT"),
}

# Fonts LibreOffice needs to lay out Vietnamese documents (conversion only reads
# text, but a headless LibreOffice without any font prints warnings).
FONT_PACKAGES = ("fonts-dejavu-core",)


def install_command(packages: tuple[str, ...] | list[str]) -> str:
    """The apt command that installs ``packages`` (as root or with sudo)."""
    prefix = "" if _is_root() else "sudo "
    return (f"{prefix}apt-get update && {prefix}apt-get install -y --no-install-recommends "
            + " ".join(packages))


def _is_root() -> bool:
    try:
        return os.geteuid() == 0
    except AttributeError:  # not POSIX
        return False


def find(name: str) -> Optional[str]:
    """Absolute path of tool ``name``'s executable, or None.

    ``$KEHOACH_SOFFICE`` (etc.) overrides the PATH lookup; an empty value
    means "pretend it is absent" (used by tests and by users who want the
    fallback).
    """
    tool = TOOLS[name]
    override = os.environ.get(tool.env)
    if override is not None:
        if not override:
            return None
        return override if os.path.isfile(override) and os.access(override, os.X_OK) else shutil.which(override)
    for exe in tool.executables:
        found = shutil.which(exe)
        if found:
            return found
    return None


@lru_cache(maxsize=8)
def _tesseract_langs(exe: str) -> frozenset[str]:
    try:
        out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    lines = (out.stdout + out.stderr).splitlines()
    return frozenset(ln.strip() for ln in lines if ln.strip() and " " not in ln.strip())


def tesseract_has(lang: str, exe: Optional[str] = None) -> bool:
    exe = exe or find("tesseract")
    return bool(exe) and lang in _tesseract_langs(exe)


def missing_error(name: str, path: str | Path, what: str, extra: tuple[str, ...] = ()) -> DocumentLoadError:
    tool = TOOLS[name]
    return DocumentLoadError(path, f"{what} needs {tool.name}, which is not installed", "tool",
                             hint=f"install it: {install_command(tool.apt + extra)}  (then `kehoach doctor`)")


def require(name: str, path: str | Path, what: str) -> str:
    """The executable of tool ``name``; raise a DocumentLoadError (stage "tool") if it is missing.

    Args:
        name: a key of TOOLS.
        path: the file being read (named in the error).
        what: what needs the tool, e.g. "a Word 97-2003 .doc file".
    """
    exe = find(name)
    if exe is None:
        raise missing_error(name, path, what)
    if name == "tesseract" and not tesseract_has("vie", exe):
        raise DocumentLoadError(path, f"{what} needs Tesseract's Vietnamese model (vie), which is not installed",
                                "tool", hint=f"install it: {install_command(('tesseract-ocr-vie',))}")
    return exe


@dataclass
class ToolStatus:
    name: str
    found: bool
    path: Optional[str]
    version: Optional[str]
    purpose: str
    install: Optional[str]   # command to run when missing
    note: str = ""


def _version(exe: str, args: tuple[str, ...]) -> Optional[str]:
    try:
        out = subprocess.run([exe, *args], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0].strip() if text else None


def check_all() -> list[ToolStatus]:
    """Status of every optional tool (for ``kehoach doctor``)."""
    out: list[ToolStatus] = []
    for name, tool in TOOLS.items():
        exe = find(name)
        version = None
        note = ""
        install = None if exe else install_command(tool.apt)
        if exe and name == "libreoffice":
            version = _version(exe, ("--version",))
        elif exe and name == "tesseract":
            version = _version(exe, ("--version",))
            if not tesseract_has("vie", exe):
                note = "Vietnamese model (vie) missing"
                install = install_command(("tesseract-ocr-vie",))
            else:
                note = "languages: " + ", ".join(sorted(_tesseract_langs(exe)))
        elif exe and name == "antiword":
            version = "present"
        out.append(ToolStatus(name, exe is not None and not (name == "tesseract" and install), exe, version,
                              tool.purpose, install, note))
    return out


def all_packages() -> tuple[str, ...]:
    """Every Debian package the optional tools need (what `make sysdeps` installs)."""
    pkgs: list[str] = []
    for tool in TOOLS.values():
        pkgs.extend(p for p in tool.apt if p not in pkgs)
    return tuple(pkgs) + FONT_PACKAGES

"""Per-file limits: how big, how long and how slow one document may be.

An archive holds the odd 800-page scan or a 50 MB log file named ``.txt``; one
such file must not stall a batch or exhaust memory. Each limit has a default, an
environment variable, and (for the common ones) a `kehoach ingest` option. A file
over a limit is bad input, not a bug: it raises ``LimitExceeded`` (a
``DocumentLoadError`` with stage ``"limit"``), which `kehoach ingest` records in
``ingest_errors`` while the batch goes on.

| field              | default     | env var                  | ingest option  | checked                           |
|--------------------|-------------|--------------------------|----------------|-----------------------------------|
| ``max_size``       | 200 MiB     | ``KEHOACH_MAX_SIZE``     | ``--max-size`` | file size, before reading         |
| ``max_pages``      | 1000        | ``KEHOACH_MAX_PAGES``    | ``--max-pages``| page count (PDF: before any page) |
| ``max_chars``      | 1,000,000   | ``KEHOACH_MAX_CHARS``    |                | normalized text, before extraction|
| ``ocr_seconds``    | 900         | ``KEHOACH_OCR_SECONDS``  |                | OCR of one file, all pages        |
| ``convert_seconds``| 120         | ``KEHOACH_CONVERT_SECONDS`` |             | one external conversion call      |

``max_chars`` is spaCy's own ``nlp.max_length`` (a longer text makes spaCy raise);
extraction runs at about 4 s per million characters. ``ocr_seconds`` and
``convert_seconds`` are for the OCR and LibreOffice readers: they take a budget
with ``TimeBudget`` or pass ``convert_seconds`` as the timeout of
``kehoach.ingest.external.run_tool``.

Readers get the limits in force from ``current()``: ``read_document`` sets them
for the duration of one read, so the ``Reader.read(path)`` interface stays as it is.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import time
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Iterator, Mapping, Optional

from kehoach.ingest.base import DocumentLoadError

MiB = 1024 * 1024

# field -> (environment variable, `kehoach ingest` option or None)
ENV_VARS: dict[str, str] = {
    "max_size": "KEHOACH_MAX_SIZE",
    "max_pages": "KEHOACH_MAX_PAGES",
    "max_chars": "KEHOACH_MAX_CHARS",
    "ocr_seconds": "KEHOACH_OCR_SECONDS",
    "convert_seconds": "KEHOACH_CONVERT_SECONDS",
}
OPTIONS: dict[str, str] = {"max_size": "--max-size", "max_pages": "--max-pages"}

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": MiB, "g": 1024 * MiB, "t": 1024 * 1024 * MiB}


def parse_size(value: str | int) -> int:
    """Bytes from ``"50MB"``, ``"50M"``, ``"1.5GiB"``, ``"4096"`` (units are powers of 1024).

    Raises:
        ValueError: not a size; the message shows how to write one.

    Examples:
        >>> parse_size("50MB"), parse_size("1k"), parse_size(10)
        (52428800, 1024, 10)
    """
    if isinstance(value, int):
        n = value
    else:
        m = _SIZE.match(value)
        if not m:
            raise ValueError(f"{value!r} is not a size; write e.g. 50MB, 200M, 1.5GB or a number of bytes")
        n = int(float(m.group(1)) * _UNITS[m.group(2).lower()])
    if n <= 0:
        raise ValueError(f"{value!r} is not positive")
    return n


def format_size(n: int) -> str:
    """``52428800`` -> ``"50.0 MB"`` (MB = MiB, as `ls -lh` counts)."""
    for unit, div in (("GB", 1024 * MiB), ("MB", MiB), ("KB", 1024)):
        if n >= div:
            return f"{n / div:.1f} {unit}"
    return f"{n} bytes"


def positive_number(value: str | int | float, kind: type) -> int | float:
    """``kind(value)`` when it is a positive number.

    Raises:
        ValueError: not a number (of that kind), or not positive.
    """
    try:
        n = kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not {'a whole number' if kind is int else 'a number'}") from None
    if n <= 0:
        raise ValueError(f"{value!r} is not positive")
    return n


@dataclass(frozen=True)
class Limits:
    """Per-file limits; see the module docstring for defaults, env vars and options."""

    max_size: int = 200 * MiB
    max_pages: int = 1000
    max_chars: int = 1_000_000
    ocr_seconds: float = 900.0
    convert_seconds: float = 120.0

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> "Limits":
        """Defaults overridden by ``KEHOACH_MAX_SIZE`` & co.

        Raises:
            ValueError: a variable holds something that is not a positive number (or size).
        """
        env = os.environ if environ is None else environ
        values = {}
        for name, var in ENV_VARS.items():
            raw = env.get(var)
            if raw is None or not raw.strip():
                continue
            try:
                values[name] = cls._parse(name, raw)
            except ValueError as e:
                raise ValueError(f"{var}: {e}") from None
        return cls(**values)

    @staticmethod
    def _parse(name: str, raw: str | int | float):
        if name == "max_size":
            return parse_size(raw if isinstance(raw, (str, int)) else int(raw))
        kind = {f.name: f.type for f in fields(Limits)}[name]
        return positive_number(raw, float if kind in ("float", float) else int)

    def override(self, **values) -> "Limits":
        """A copy with the given limits changed; ``None`` values are ignored (option not given).

        Raises:
            ValueError: an unknown limit name (the message lists the valid ones) or a bad value.
        """
        known = {f.name for f in fields(self)}
        changes = {}
        for name, raw in values.items():
            if name not in known:
                raise ValueError(f"unknown limit {name!r}; valid limits: {', '.join(sorted(known))}")
            if raw is not None:
                try:
                    changes[name] = self._parse(name, raw)
                except ValueError as e:
                    raise ValueError(f"{OPTIONS.get(name, name)}: {e}") from None
        return replace(self, **changes)

    def how_to_raise(self, name: str) -> str:
        option = OPTIONS.get(name)
        env = ENV_VARS[name]
        return f"raise the limit with {option} or {env}" if option else f"raise the limit with {env}"

    # -- checks -----------------------------------------------------------------------------

    def check_size(self, path: str | Path, size: int) -> None:
        if size > self.max_size:
            raise LimitExceeded(path, "max_size", f"file too large: {format_size(size)} "
                                                  f"(limit {format_size(self.max_size)})", self)

    def check_pages(self, path: str | Path, pages: int) -> None:
        if pages > self.max_pages:
            raise LimitExceeded(path, "max_pages", f"too many pages: {pages} (limit {self.max_pages})", self)

    def check_chars(self, path: str | Path, chars: int, what: str = "text too long") -> None:
        if chars > self.max_chars:
            raise LimitExceeded(path, "max_chars", f"{what}: {chars:,} characters "
                                                   f"(limit {self.max_chars:,} characters)", self)


class LimitExceeded(DocumentLoadError):
    """A file is over one of its ``Limits``: stage ``"limit"``, and ``limit`` names which."""

    def __init__(self, path: str | Path, limit: str, reason: str, limits: Optional[Limits] = None):
        self.limit = limit
        super().__init__(path, reason, "limit", hint=(limits or Limits()).how_to_raise(limit))


class TimeBudget:
    """A time limit for work done in steps (OCR page by page).

    Example:
        >>> budget = TimeBudget(current().ocr_seconds, "ocr_seconds", "scan.pdf", "OCR")
        >>> for page in pages:              # doctest: +SKIP
        ...     budget.check()              # raises LimitExceeded once the time is spent
        ...     ocr(page, timeout=budget.remaining())
    """

    def __init__(self, seconds: float, limit: str, path: str | Path, what: str = "work"):
        self.seconds = seconds
        self.limit = limit
        self.path = path
        self.what = what
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self._end - time.monotonic())

    def check(self) -> None:
        if time.monotonic() >= self._end:
            raise self.exceeded()

    def exceeded(self) -> LimitExceeded:
        return LimitExceeded(self.path, self.limit, f"{self.what} took longer than {self.seconds:g} s "
                                                    f"(limit {self.limit})", current())


_CURRENT: contextvars.ContextVar[Optional[Limits]] = contextvars.ContextVar("kehoach_limits", default=None)


def current() -> Limits:
    """The limits in force: those set by ``using`` (``read_document`` does), else ``Limits.from_env()``."""
    limits = _CURRENT.get()
    return limits if limits is not None else Limits.from_env()


@contextlib.contextmanager
def using(limits: Optional[Limits]) -> Iterator[Limits]:
    """Make ``limits`` (or the environment's) the ones ``current()`` returns inside the block."""
    chosen = limits if limits is not None else Limits.from_env()
    token = _CURRENT.set(chosen)
    try:
        yield chosen
    finally:
        _CURRENT.reset(token)

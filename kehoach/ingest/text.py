"""Plain text and markdown (.txt, .md).

Encoding is detected, not guessed: a BOM says UTF-8/UTF-16; otherwise strict
UTF-8 is tried; UTF-16 without BOM is recognised by its NUL pattern; only then
Windows-1258 (the Vietnamese code page) is tried, and it is accepted only when the
decoded text reads as Vietnamese (it decodes any byte string, so it must be checked).
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from kehoach.ingest.base import Block, DocumentLoadError, InputFormat, Reader, SourceText

# Vietnamese letters that only exist with diacritics; their share tells a
# correct cp1258 decoding from noise.
_VI_CHARS = re.compile(r"[ăâđêôơưĂÂĐÊÔƠƯàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]",
                       re.IGNORECASE)


def decode_bytes(data: bytes, path: Path | str = "<bytes>") -> tuple[str, str]:
    """Return (text, encoding name). Raises DocumentLoadError for binary junk."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return data.decode("utf-16", errors="replace"), "utf-16"
    sample = data[:4000]
    if sample and sample.count(b"\x00") > len(sample) // 4:
        # UTF-16 without BOM: ASCII-range text has NUL in every other byte
        even_nul = sample[0::2].count(0)
        odd_nul = sample[1::2].count(0)
        enc = "utf-16-le" if odd_nul > even_nul else "utf-16-be"
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            raise DocumentLoadError(path, "binary content: not a text file (NUL bytes)", "decode") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # UTF-8 with a stray bad byte or two (a file cut and pasted together): keep the
    # document and say so, rather than refuse it or read it as cp1258 mojibake
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    if bad <= max(3, len(text) // 1000) and any(ord(ch) > 127 and ch != "\ufffd" for ch in text[:20000]):
        return text, f"utf-8 with {bad} invalid byte sequence{'s' if bad != 1 else ''} replaced by U+FFFD"
    if b"\x00" in sample:
        raise DocumentLoadError(path, "binary content: not a text file (NUL bytes, not UTF-8/UTF-16)", "decode")
    text = data.decode("cp1258", errors="replace")
    letters = sum(ch.isalpha() for ch in text[:20000]) or 1
    if len(_VI_CHARS.findall(text[:20000])) / letters > 0.03 and text.count("\ufffd") < 5:
        return text, "cp1258"
    raise DocumentLoadError(path, "unknown text encoding: not UTF-8, UTF-16 or Windows-1258 Vietnamese",
                            "decode", hint="convert the file to UTF-8 (iconv -f ENCODING -t UTF-8)")


def source_from_text(raw: str, fmt: str = "txt", path: str | None = None) -> SourceText:
    """Normalized SourceText from a string: one block per non-empty line.

    Blank lines are kept (collapsed to one) because they separate paragraphs.
    What a ``TextBuilder`` would build line by line, written out: the lines are already normalized and
    single, so each is a block at the running offset (a builder method call and a ``_append`` per line cost
    more than the block itself).
    """
    from kehoach.ingest.normalize import newlines, normalize_lines

    lines: list[str] = []  # the text's lines; "" for a kept blank line
    blocks: list[Block] = []
    pos = 0  # where the next line starts
    prev_blank = False
    raw = newlines(raw)
    for line, norm in zip(raw.split("\n"), normalize_lines(raw)):
        if norm:  # normalized lines hold no line break and are stripped
            lines.append(norm)
            end = pos + len(norm)
            blocks.append(Block("paragraph", pos, end))
            pos = end + 1
            prev_blank = False
        elif not prev_blank and blocks and not line.strip():
            # a blank line after some text; a line that normalization empties ("***", a bookmark) is no
            # text, and no blank line either
            lines.append("")
            pos += 1
            prev_blank = True
    while lines and lines[-1] == "":  # blank lines at the very end are not text
        lines.pop()
    return SourceText(text="\n".join(lines), blocks=blocks, format=fmt, pages=[], warnings=[], path=path)


class TextReader(Reader):
    @classmethod
    def supported_formats(cls) -> dict[str, InputFormat]:
        return {".txt": InputFormat.TXT, ".md": InputFormat.TXT, ".text": InputFormat.TXT}

    def read(self, path: Path) -> SourceText:
        from kehoach.limits import LimitExceeded, current, format_size

        limits = current()
        try:
            # a character takes at most 4 bytes: a bigger file cannot fit max_chars, so it is not read
            size = path.stat().st_size
            if size > 4 * limits.max_chars:
                raise LimitExceeded(path, "max_chars", f"text too long: a {format_size(size)} text file "
                                                       f"(limit {limits.max_chars:,} characters)", limits)
            data = path.read_bytes()
        except OSError as e:
            raise DocumentLoadError.cannot_open(path, e) from None
        if not data.strip():
            raise DocumentLoadError(path, "empty file", "read")
        text, enc = decode_bytes(data, path)
        st = source_from_text(text, "txt", str(path))
        if enc not in ("utf-8", "utf-8-sig"):
            st.warnings.append(f"decoded as {enc}")
        if not st.text.strip():
            raise DocumentLoadError(path, "no text after normalization", "read")
        return st

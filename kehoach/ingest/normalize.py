"""Text normalization as a list of named steps.

The extractor's spans point into the text these steps produce, so every reader
runs the same pipeline. Tone-mark placement is kept as written (hoà stays hoà);
comparison-time folding lives in extract/names.py, never in stored text.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable, Iterable

_BOOKMARK = re.compile(r"\[bookmark:[^\]\n]*\]")  # within a line
# markdown emphasis markers (**bold**, *italic*, __x__); a lone "*" used as a
# footnote marker after a word is also dropped, the word is kept
# (every branch starts with a literal, so that `re` skips ahead to a "*" or "_": "(?<!\w)__" written as
# "_(?<!\w_)_", "\*{1,3}" as "\*\*?\*?"; 0.12 against 0.41 ms on a 10 kchar plan)
_MD = re.compile(r"\*\*?\*?|_(?<!\w_)_|__(?!\w)")
# collapse_spaces turns every run of space characters into one " ", in two cheap passes: each space
# character other than " " becomes " " (rare: the regex skips ahead to one), then runs of " " shrink.
# (One regex for runs, "[ \t…]{2,}|[\t…]", tried a match at every " ": 0.65 against 0.21 ms on a 10 kchar plan.)
_ODD_SPACE = re.compile(r"[\t\u00a0\u2000-\u200b\u202f\u3000]")
_SPACE_RUN = re.compile(r"  +")
_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff\u200c\u200d\u2060]")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")


def strip_control(text: str) -> str:
    return _CTRL.sub("", text)


# (the `in` tests below only skip work: a text without the character cannot match)
def strip_bookmarks(text: str) -> str:
    return _BOOKMARK.sub("", text) if "[bookmark:" in text else text


def strip_markdown(text: str) -> str:
    if "__" in text:
        return _MD.sub("", text)
    # without "__" only the "*" branch can match, and the runs it matches take every "*" away
    return text.replace("*", "")


def collapse_spaces(text: str) -> str:
    if _ODD_SPACE.search(text):
        text = _ODD_SPACE.sub(" ", text)
    if "  " in text:
        text = _SPACE_RUN.sub(" ", text)
    return "\n".join(ln.strip() for ln in text.split("\n"))


def collapse_blank_lines(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


STEPS: dict[str, Callable[[str], str]] = {
    "newlines": newlines,
    "nfc": nfc,
    "strip_control": strip_control,
    "strip_bookmarks": strip_bookmarks,
    "strip_markdown": strip_markdown,
    "collapse_spaces": collapse_spaces,
    "collapse_blank_lines": collapse_blank_lines,
}

DEFAULT_STEPS = ("newlines", "nfc", "strip_control", "strip_bookmarks", "strip_markdown",
                 "collapse_spaces", "collapse_blank_lines")


def normalize_text(text: str, steps: Iterable[str] = DEFAULT_STEPS) -> str:
    """Apply the named steps in order.

    Raises:
        ValueError: a step name is unknown; the message lists the valid ones.
    """
    for name in steps:
        try:
            fn = STEPS[name]
        except KeyError:
            raise ValueError(f"unknown normalization step {name!r}; valid steps: {', '.join(STEPS)}") from None
        text = fn(text)
    return text


LINE_STEPS = ("newlines", "nfc", "strip_control", "strip_bookmarks", "strip_markdown", "collapse_spaces")


def normalize_lines(text: str) -> list[str]:
    """``text`` split at line breaks (all kinds), each line normalized as ``normalize_line`` does.

    One pass over the whole text: the line steps never add or remove a line break.
    """
    text = nfc(newlines(text))
    # Every character that strip_control removes or collapse_spaces turns into " " is unprintable (tested
    # over all code points), and the steps between only remove characters. A text whose only unprintable
    # characters are its line breaks (most texts) needs neither scan (~1 M instructions in a 10 kchar plan;
    # isprintable reads each character once, in C).
    if text.replace("\n", " ").isprintable():
        text = strip_markdown(strip_bookmarks(text))
        if "  " in text:
            text = _SPACE_RUN.sub(" ", text)
        return [ln.strip() for ln in text.split("\n")]
    return normalize_text(text, LINE_STEPS).split("\n")


# A character any line step but NFC would change, or two spaces in a row. A line without one (most
# lines) needs NFC and a strip only: the steps cost ~5 us a line, most of it in collapse_spaces.
# (a character class alone: `re` skips ahead to a member; with "|  " as a second branch it tried a
# match at every position. Two spaces in a row are looked for with `in`.)
_NEEDS_STEPS = re.compile(r"[\x00-\x1f\x7f\u00a0\u2000-\u200d\u2028\u2029\u202f\u2060\u3000\ufeff*_\[]")


def normalize_line(text: str) -> str:
    """Normalize one paragraph or cell (no line structure to keep).

    Examples:
        >>> normalize_line("  Phòng  Nội\u00a0vụ\t")
        'Phòng Nội vụ'
    """
    if "  " not in text and _NEEDS_STEPS.search(text) is None:
        return nfc(text).strip()
    for name in LINE_STEPS:
        text = STEPS[name](text)
    return text.strip()

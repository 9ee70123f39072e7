"""Vietnamese vocabulary tables and the text normalizations built on them.

The tables live as JSON in ``kehoach/extract/data/`` (house style: no word lists
in ``.py`` files); each entry carries ``examples`` that the tests run:

- ``abbreviations.json``: ``{abbr, full, compare, display, dot, examples, note?}``.
  ``compare`` entries are expanded by :func:`compare_key` (the set the scorer
  expands, no more, or scores would disagree); ``display`` entries by
  :func:`expand_abbreviations_display` (only the unambiguous ones: "TT" is
  thường trực, trung tâm or thông tư, so it is compare-only). ``dot`` marks
  abbreviations that are written with a full stop before the name they
  abbreviate ("UB. MTTQ VN", "BTT. UBMTTQTP", seen in seed 002).
- ``tone_placement.json``: ``{old, new, examples, counterexamples}``: old-style
  tone placement on ``oa``/``oe``/``uy`` and the form this project writes
  ("Uỷ" -> "Ủy", "hoà" -> "hòa"); ``counterexamples`` must be left alone by
  :func:`unify_tones` ("Hoàng", "quý", "Kế hoạch").

Two views of one string, for two uses (the third, the folded form of search
columns, is ``kehoach.store.keys.fold``):

- :func:`normalize_name` for ``*_normalized`` fields: NFC, tones unified,
  abbreviations written out, case and diacritics kept.
- :func:`compare_key` for comparing names (the scorer's normalization).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = [
    "COMPARE_STEPS",
    "STEPS",
    "compare_key",
    "data_names",
    "expand_abbreviations",
    "expand_abbreviations_display",
    "load",
    "make_pipeline",
    "normalize",
    "normalize_name",
    "unify_tones",
]


# --- data files --------------------------------------------------------------


def _data_dir():
    # Resolved from the top package so that reading a table never imports
    # kehoach.extract (and spaCy with it).
    return resources.files("kehoach").joinpath("extract", "data")


def data_names() -> list[str]:
    """Names of the tables in ``kehoach/extract/data`` (file names without ``.json``)."""
    return sorted(p.name[: -len(".json")] for p in _data_dir().iterdir() if p.name.endswith(".json"))


@lru_cache(maxsize=None)
def load(name: str) -> list | dict:
    """Load the vocabulary table ``kehoach/extract/data/{name}.json``.

    The result is cached and shared between callers: treat it as read-only.

    Args:
        name: the table's name, e.g. ``"abbreviations"``.

    Returns:
        The parsed JSON (a list of entries for the tables here).

    Raises:
        KeyError: no such table; the message lists the valid names.
    """
    path = _data_dir().joinpath(f"{name}.json")
    if not path.is_file():
        raise KeyError(f"unknown vocabulary table {name!r}; valid names: {', '.join(data_names())}")
    return json.loads(path.read_text(encoding="utf-8"))


# --- tone placement ----------------------------------------------------------


@lru_cache(maxsize=None)
def _tone_pairs() -> tuple[tuple[str, str], ...]:
    return tuple((e["old"], e["new"]) for e in load("tone_placement"))


@lru_cache(maxsize=None)
def _tone_regex() -> re.Pattern[str]:
    alternatives = "|".join(re.escape(old) for old, _ in _tone_pairs())
    # Only an open syllable moves its mark: "hoà" -> "hòa", but "hoàng",
    # "hoạch", "khuỷu" keep it on the second vowel in both styles. After "q"
    # the "u" belongs to the consonant ("quý", "quỹ"), so nothing moves.
    return re.compile(rf"(?<![qQ])(?:{alternatives})(?!\w)", re.IGNORECASE)


def _same_case(template: str, text: str) -> str:
    return "".join(c.upper() if t.isupper() else c for t, c in zip(template, text))


def unify_tones(s: str) -> str:
    """Move old-style tone marks to the placement this project writes, keeping case.

    Example: ``unify_tones("UỶ BAN nhân dân xã Hoà Bình") == "ỦY BAN nhân dân xã Hòa Bình"``.
    """
    s = unicodedata.normalize("NFC", s)
    table = dict(_tone_pairs())
    return _tone_regex().sub(lambda m: _same_case(m.group(), table[m.group().lower()]), s)


def _unify_tones_loose(s: str) -> str:
    # The scorer replaces the pairs anywhere in a case-folded string ("hoàng"
    # becomes "hòang" on both sides, which is harmless for comparing). The
    # comparison key must do exactly the same to agree with it.
    for old, new in _tone_pairs():
        s = s.replace(old, new)
    return s


# --- abbreviations -----------------------------------------------------------


def _entries(kind: str) -> list[dict]:
    return [e for e in load("abbreviations") if e.get(kind)]


@lru_cache(maxsize=None)
def _compare_table() -> tuple[re.Pattern[str], dict[str, str]]:
    table = {e["abbr"].casefold(): e["full"].casefold() for e in _entries("compare")}
    alternatives = "|".join(re.escape(a) for a in sorted(table, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)"), table


def expand_abbreviations(s: str) -> str:
    """Case-fold ``s`` and write out every comparison abbreviation on whole words.

    This is the comparison form: ``"UB. MTTQ VN"`` -> ``"ủy ban. mặt trận tổ quốc việt nam"``.
    For display text use :func:`expand_abbreviations_display`.
    """
    return _expand_folded(unicodedata.normalize("NFC", s).casefold())


def _expand_folded(s: str) -> str:
    # The pipeline step: ``s`` is already case-folded.
    rx, table = _compare_table()
    return rx.sub(lambda m: table[m.group()], s)


@lru_cache(maxsize=None)
def _display_table() -> tuple[re.Pattern[str], re.Pattern[str], dict[str, dict]]:
    table = {e["abbr"]: e for e in _entries("display")}
    alternatives = "|".join(re.escape(a) for a in sorted(table, key=len, reverse=True))
    rx = re.compile(
        rf"""
        (?<![\w./\-])          # not the tail of a number or code: '59/KH-MTTQ-BTT', 'QĐ.UB'
        (?P<abbr>{alternatives})
        (?:
            (?P<dot>\.[ \t]*)(?=[^\W\d_])   # 'UB. MTTQ', 'TP.Hồ Chí Minh': a dot, then a word
          | (?![\w\-/]|\.\w)                # or a whole token: not 'UBND-XD', 'TP.HCM'
        )
        """,
        re.VERBOSE,
    )
    tokens = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
    return rx, tokens, table


_OPENERS = " \t\"'“‘([-–—•*"


def _starts_sentence(s: str, start: int) -> bool:
    """True where the text before ``start`` is empty, a line break or a sentence end."""
    j = start
    while j > 0 and s[j - 1] in _OPENERS:
        j -= 1
    return j == 0 or s[j - 1] in ".!?:\n\r"


def expand_abbreviations_display(s: str) -> str:
    """Write out agency abbreviations for display, keeping the rest as written.

    Conservative: only upper-case abbreviation tokens that stand as whole
    words; an abbreviation inside a document number ("134/KH-UBND") is left
    alone, and so are ambiguous ones ("TT", "Q5"). A lower-case full form
    ("thành phố") is capitalised at the start of a sentence or line, and a
    text written all in capitals gets the full form in capitals.

    Examples:
        ``"UBND tỉnh Lào Cai"`` -> ``"Ủy ban nhân dân tỉnh Lào Cai"``;
        ``"UB. MTTQ VN"`` -> ``"Ủy ban Mặt trận Tổ quốc Việt Nam"``;
        ``"TP Hồ Chí Minh"`` -> ``"Thành phố Hồ Chí Minh"``.
    """
    s = unicodedata.normalize("NFC", s)
    rx, tokens, table = _display_table()
    # A header written in capitals ("UBND TỈNH LÀO CAI") gets capitals; a line of
    # bare initials ("TT QU, UBND Q5", seed 002) is not a header, so it takes a
    # real word of three letters outside the abbreviations to decide.
    rest = tokens.sub(" ", s)
    shouting = rest == rest.upper() and re.search(r"[^\W\d_]{3,}", rest) is not None

    def replace(m: re.Match[str]) -> str:
        entry = table[m.group("abbr")]
        full = entry["full"]
        if shouting:
            full = full.upper()
        elif full[:1].islower() and _starts_sentence(m.string, m.start()):
            full = full[:1].upper() + full[1:]
        dot = m.group("dot")
        if dot is None:
            return full
        # A dot after an abbreviation that is written with one ('UB. MTTQ') is
        # the abbreviation's; elsewhere it may end a sentence, so keep it.
        if entry.get("dot") and m.string[m.end()].isupper():
            return full + " "
        return full + dot

    # A second pass catches an abbreviation that followed a consumed dot
    # ("UB.MTTQ": MTTQ sat after a '.' in the original text). Full forms hold
    # no abbreviation tokens, so this stops.
    for _ in range(3):
        out = rx.sub(replace, s)
        if out == s:
            break
        s = out
    return s


# --- normalization pipelines -------------------------------------------------


def _nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


def _strip_marks(s: str) -> str:
    # Markdown emphasis and quotes carry no words.
    return re.sub(r"[*_`\"“”‘’]", "", s)


def _fold_diacritics(s: str) -> str:
    decomposed = unicodedata.normalize("NFD", s.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


STEPS: dict[str, Callable[[str], str]] = {
    "nfc": _nfc,
    "casefold": str.casefold,
    "tones": unify_tones,
    "tones_loose": _unify_tones_loose,
    "dashes": lambda s: s.replace("\u2013", "-").replace("\u2014", "-"),
    "strip_marks": _strip_marks,
    "punct_to_space": lambda s: re.sub(r"[.,;:()\[\]/]", " ", s),
    "abbreviations": _expand_folded,
    "abbreviations_display": expand_abbreviations_display,
    "fold_diacritics": _fold_diacritics,
    "collapse_spaces": lambda s: re.sub(r"\s+", " ", s).strip(),
}
"""Named normalization steps; a pipeline is a sequence of these names.

``abbreviations`` expects case-folded text (it follows ``casefold`` in
:data:`COMPARE_STEPS`); ``tones_loose`` replaces the pairs anywhere, as the
scorer does, where ``tones`` moves marks in open syllables only, keeping case.
"""

COMPARE_STEPS: tuple[str, ...] = (
    "nfc",
    "casefold",
    "tones_loose",
    "dashes",
    "strip_marks",
    "punct_to_space",
    "abbreviations",
    "collapse_spaces",
)
"""The comparison key of spec/EXTRACTION.md, in the scorer's order."""

NAME_STEPS: tuple[str, ...] = ("nfc", "tones", "abbreviations_display", "collapse_spaces")


@lru_cache(maxsize=None)
def make_pipeline(steps: tuple[str, ...]) -> Callable[[Any], str]:
    """Compose named steps into one function ``value -> str`` (``None`` -> ``""``).

    Raises:
        ValueError: an unknown step name; the message lists the valid ones.
    """
    unknown = [name for name in steps if name not in STEPS]
    if unknown:
        raise ValueError(
            f"unknown normalization step(s) {', '.join(map(repr, unknown))}; valid steps: {', '.join(STEPS)}"
        )
    funcs = [STEPS[name] for name in steps]

    def run(value: Any) -> str:
        if value is None:
            return ""
        s = str(value)
        for f in funcs:
            s = f(s)
        return s

    return run


def normalize(s: Any, steps: Iterable[str]) -> str:
    """Apply the named normalization ``steps`` to ``s`` (see :data:`STEPS`)."""
    return make_pipeline(tuple(steps))(s)


_compare = make_pipeline(COMPARE_STEPS)
_name = make_pipeline(NAME_STEPS)


def compare_key(s: Any) -> str:
    """The comparison form of a name: NFC, case-folded, tones unified, dashes
    unified, quotes and markdown markers removed, punctuation to spaces,
    abbreviations written out, spaces collapsed. ``None`` -> ``""``.

    Example: ``compare_key("**UBND** tỉnh Lào Cai.") == "ủy ban nhân dân tỉnh lào cai"``.
    """
    return _compare_str(s) if isinstance(s, str) else _compare(s)


@lru_cache(maxsize=1 << 15)  # names are compared many times within a document and across an archive
def _compare_str(s: str) -> str:
    return _compare(s)


def normalize_name(s: Any) -> str:
    """The ``*_normalized`` form: NFC, tones unified, abbreviations written out.

    Example: ``normalize_name("Uỷ ban MTTQ VN xã  Hoà Bình") == "Ủy ban Mặt trận Tổ quốc Việt Nam xã Hòa Bình"``.
    """
    return _name(s)



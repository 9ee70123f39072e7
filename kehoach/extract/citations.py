"""Cited documents: legal bases in the preamble, references elsewhere.

A preamble paragraph may cite several documents separated by ";" ("Thực hiện
Chương trình … ; Kế hoạch số 190/KH-UBND …"): each segment that opens with a
document type is one item. Every other numbered document in a preamble paragraph
("được sửa đổi … tại Luật số 83/2025/QH15") is a basis too; each document is
listed once (the key is its number).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Optional

from kehoach.extract.dates import find_dates
from kehoach.extract.header import NUMBER_CORE
from kehoach.extract.names import clean
from kehoach.extract.structure import Line
from kehoach.extract.vocabulary import genre, phrase_alt, phrase_regex, type_name_regex, type_names, word_start_alt
# one key function for the record's `key` and the store's number_key column, so they always agree
from kehoach.store.keys import number_key

_NUM = re.compile(r"\s*(?:số|Số)?\s*[:.]?\s*(?P<num>\d+[A-Za-z]?(?:\.\d+)?\s*[/-]\s*(?:\d{4}\s*/\s*)?[A-ZĐ][A-Za-zĐđ0-9.&]*(?:\s?[-/]\s?[A-ZĐ][A-Za-zĐđ0-9.&]*)*)")
# only where the first of them starts is read, so their order does not matter
_SUBJECT_START = re.compile(word_start_alt(
    "về việc|về|V/v|hướng dẫn|quy định|ban hành|phê duyệt|sửa đổi|triển khai|thực hiện|ủy quyền|uỷ quyền|"
    "giao|tổ chức|thành lập|công bố|kiện toàn|phân bổ|phân công|đẩy mạnh|tăng cường|điều chỉnh|bãi bỏ|quy chế"
    .split("|")) + r"(?!\w)", re.IGNORECASE)
_NAMED_LAWS = ("Luật", "Bộ luật", "Hiến pháp", "Pháp lệnh")
NUMBER_RX = re.compile(NUMBER_CORE)
_SPACES = re.compile(r"\s+")
_VE_VIEC = re.compile(r"^(?:về việc\s+)", re.IGNORECASE)  # "về việc triển khai …" -> "việc triển khai …"
_VE = re.compile(r"^(?:về|V/v)\s+", re.IGNORECASE)
_NGAY = re.compile(r"\s+ngày\b")  # "Tỉnh uỷ Lào Cai ngày 27/12/2025": the issuer ends before the date
_COMMA_WORD = re.compile(r",\s+(\w+(?:\s\w+)?)")


@lru_cache(maxsize=None)
def _type_name_any_case() -> re.Pattern:
    """``type_name_regex`` in any case ("KẾ HOẠCH số …", "nghị quyết số …")."""
    return re.compile(type_name_regex().pattern, re.IGNORECASE)


@dataclass
class Cite:
    start: int
    end: int
    doc_type: str
    number: Optional[str]
    date: Optional[str]
    issuer: Optional[str]
    subject: Optional[str]
    name: Optional[str]
    text: str
    relation: Optional[str] = None

    @cached_property  # read 3-4 times per citation; number, type and date are not changed once parsed
    def key(self) -> str:
        return citation_key(self.number, self.doc_type, self.date)


def citation_key(number: Optional[str], doc_type: Optional[str], date: Optional[str]) -> str:
    if number:
        return number_key(number)
    return f"{(doc_type or '').casefold()}@{date or ''}"


def _split_segments(text: str) -> list[tuple[int, int]]:
    """Split at ';' outside parentheses and quotes, and where a sentence ends.

    A sentence ends at ". " before a capital after ")" or a word in lower case
    ("… (gửi kèm theo). Chủ tịch Ủy ban nhân dân tỉnh có ý kiến chỉ đạo như sau", 048);
    "TP. Hồ Chí Minh" does not end one.
    """
    out, depth, quote, start = [], 0, False, 0
    for m in _SEGMENT_MARKS.finditer(text):  # every other character leaves the state as it is
        i, ch = m.start(), m.group()
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch in "“”\"":
            quote = not quote if ch == '"' else (ch == "“")
        elif ch == ";" and depth == 0 and not quote:
            out.append((start, i))
            start = i + 1
        elif ch == "." and depth == 0 and not quote and _sentence_end(text, i):
            out.append((start, i))
            start = i + 1
    out.append((start, len(text)))
    return out


_SEGMENT_MARKS = re.compile(r'[();.“”"]')
_LOWER_WORD_END = re.compile(r"(?:\)|(?<!\S)[a-zà-ỹđ]{2,})$")


def _sentence_end(text: str, i: int) -> bool:
    nxt = text[i + 1:i + 3]
    if len(nxt) < 2 or nxt[0] != " " or not nxt[1].isupper():
        return False
    return bool(_LOWER_WORD_END.search(text[max(0, i - 12):i]))


@lru_cache(maxsize=None)
def _attachment_rx() -> re.Pattern:
    return re.compile(r"\s*\(\s*(?:" + phrase_alt("attachment_notes") + r")\s*\)?\s*$", re.IGNORECASE)


def _tidy(part: Optional[str]) -> Optional[str]:
    """An issuer or subject without a trailing "(gửi kèm theo)" note or an unclosed bracket."""
    if not part:
        return part
    part = _attachment_rx().sub("", part)
    depth, cut = 0, None
    for i, ch in enumerate(part) if "(" in part else ():
        if ch == "(":
            if depth == 0:
                cut = i
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
    if depth and cut is not None:
        part = part[:cut]  # "Tỉnh ủy Lào Cai (gửi kèm" cut before its bracket closed
    return clean(part) or None


def _issuer_end(issuer: str) -> str:
    """An issuer ends before ", " and a word in lower case that is not a locality level.

    "Ủy ban nhân dân tỉnh, bảo đảm đúng quy định" (048) -> "Ủy ban nhân dân tỉnh";
    "UBND các xã, phường" stays whole.
    """
    for m in _COMMA_WORD.finditer(issuer):
        word = m.group(1)
        if word[:1].islower() and not _locality_rx().match(word):
            return issuer[:m.start()]
    return issuer


@lru_cache(maxsize=None)
def _locality_rx() -> re.Pattern:
    return re.compile(r"^(?:" + phrase_alt("locality_levels") + r")(?!\w)")


@lru_cache(maxsize=None)
def _relation_words() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(relation, its words longest first) in the order they are tried."""
    rel = genre()["preamble_relations"]
    return tuple((key, tuple(sorted(rel[key], key=len, reverse=True))) for key in ("xet", "can_cu", "thuc_hien"))


def _lower_start(text: str) -> str:
    """The lower-cased start of ``text``, as long as the longest relation word: all that
    ``text.lower().startswith(word)`` reads of a preamble line of hundreds of characters (no character
    lower-cases to fewer than one, so every letter a word is compared with is there)."""
    return text[:len(_all_relation_words()[0])].lower()


def _relation_of(line_text: str) -> Optional[str]:
    low = _lower_start(line_text.lstrip())  # == line_text.lower().lstrip(): no letter lower-cases to white space
    for key, words in _relation_words():
        if low.startswith(words):
            return key
    return None


def _head_at(text: str, pos: int) -> Optional[tuple[str, Optional[str], int]]:
    """(type, number, end) of a citation whose type name starts at ``pos``; None when no type name starts there.

    A number read here is the cited document's for good, so its key is known before the rest is parsed.
    """
    m = type_name_regex().match(text, pos) or _type_name_any_case().match(text, pos)
    if not m:
        return None
    dtype = m.group("type")
    dtype = dtype[:1].upper() + dtype[1:]
    after = m.end()
    n = _NUM.match(text, after)
    if n and n.start() - after <= 6:
        return dtype, _SPACES.sub("", n.group("num")).rstrip("."), n.end()
    return dtype, None, after


def _known(head: tuple[str, Optional[str], int], seen: set[str]) -> bool:
    """Whether the citation read by ``_head_at`` has a number whose key is in ``seen`` (no need to parse the rest)."""
    return head[1] is not None and number_key(head[1]) in seen


def _parse_at(text: str, pos: int, base: int, seg_end: int,
              head: Optional[tuple[str, Optional[str], int]] = None) -> Optional[Cite]:
    """Parse a citation whose type name starts at ``pos`` in ``text`` (segment ends at seg_end);
    ``head``: ``_head_at(text, pos)`` when already read."""
    head = head if head is not None else _head_at(text, pos)
    if head is None:
        return None
    dtype, number, cur = head
    name = None
    seg = text[cur:seg_end]
    if number is None:
        if dtype not in _NAMED_LAWS:
            return None
        # "Luật Thực hiện dân chủ cơ sở ngày 10 tháng 11 năm 2022": the name runs to "ngày"/"số"/","
        name_end = _law_name_end(seg)
        name_tail = seg[:name_end].strip()
        if not name_tail or len(name_tail.split()) > 16:
            return None
        name = clean(f"{dtype} {name_tail}")
        cur += name_end
        # "Luật Bầu cử … số 85/2015/QH13, ngày 25/6/2015": a named law may carry a number after its name,
        # "số" before it, or none before a number with its year ("Luật Hóa chất 69/2025/QH15", 022)
        n2 = _NUM.match(text, cur)
        if n2 and (re.match(r"\s*số", text[cur:n2.start("num")]) or _YEAR_NUMBER.match(text, cur)):
            number = re.sub(r"\s+", "", n2.group("num")).rstrip(".")
            cur = n2.end()
        seg = text[cur:seg_end]
    # date: the first date before any further cited document
    nxt = type_name_regex().search(seg)
    head = seg[: nxt.start()] if nxt else seg
    date = None
    dh = [h for h in find_dates(head) if h.precision in ("day", "time", "month")]
    if dh and dh[0].start < 160:
        date = dh[0].value.split("T")[0]
        date_end = dh[0].end
    else:
        date_end = 0
    rest = seg[date_end:]
    issuer = subject = None
    sibling = _listed_next(text, cur + date_end, seg_end)
    if sibling is not None:
        # "Nghị định số 181/2024/NĐCP ngày 31/12/2024 và Nghị định số 146/2025/NĐ-CP ngày 12/6/2025 của Chính
        # phủ" (019): the next document of a list follows at once; the issuer after the last belongs to each
        other = _parse_at(text, sibling[2], base, seg_end, sibling[:3])
        rest = ""
        issuer = other.issuer if other is not None else None
    else:
        rest = _before_amendment(rest)
    r = rest.strip()
    if r.startswith("của "):
        body = _before_own_sentence(r[4:])
        sm = _subject_start(body)
        if sm and sm.start() > 0:
            issuer = clean(body[:sm.start()])
            subject = body[sm.start():]
        else:
            issuer = clean(body) if len(body.split()) <= 12 else None
    elif r:
        subject = _before_own_sentence(r)
    if subject:
        subject = _VE_VIEC.sub("việc ", subject)
        subject = _VE.sub("", subject)
        subject = clean(subject.rstrip(" ,.;")) or None
    subject = _tidy(subject)
    if issuer:
        # "Tỉnh uỷ Lào Cai ngày 27/12/2025" when the date follows the issuer
        issuer = _tidy(_issuer_end(_NGAY.split(issuer, 1)[0]))
        if date is None:
            dh2 = find_dates(r)
            if dh2 and dh2[0].start < 80:
                date = dh2[0].value.split("T")[0]
    end = seg_end
    return Cite(base + pos, base + end, dtype, number, date, issuer, subject, name,
                clean(text[pos:seg_end]))


_VE_START = re.compile(r"(?<!\w)(?:về việc|về|V/v)(?!\w)", re.IGNORECASE)


@lru_cache(maxsize=None)
def _mission_end_rx() -> re.Pattern:
    return re.compile(r"(?<!\w)(?:" + phrase_alt("mission_bodies") + r")\s*$", re.IGNORECASE)


def _subject_start(body: str) -> Optional[re.Match]:
    """Where the subject starts in ``body`` (the text after "của"): the first subject word, except a verb
    right after the head of a body named by its mission ("Ban Chỉ đạo thực hiện quy chế dân chủ …", genre.json
    mission_bodies): that name runs to "về" (004)."""
    sm = _SUBJECT_START.search(body)
    if sm and sm.start() > 0 and _mission_end_rx().search(body, 0, sm.start()):
        return _VE_START.search(body, sm.end())
    return sm


def _before_own_sentence(text: str) -> str:
    """``text`` up to ", <unit> ban hành Kế hoạch …": the citing document's own sentence after the cited one
    (004: '… về Chương trình công tác năm 2020, UBND tỉnh ban hành Kế hoạch tổ chức Hội nghị …';
    genre.json issuer_verbs, agency_heads)."""
    m = phrase_regex("issuer_verbs").search(text)
    if not m:
        return text
    comma = text.rfind(",", 0, m.start())
    if comma < 0:
        return text
    unit = text[comma + 1:m.start()].strip()
    if unit and len(unit.split()) <= 12 and phrase_regex("agency_heads", anchored=True).match(unit):
        return text[:comma]
    return text


@lru_cache(maxsize=None)
def _joiner_rx() -> re.Pattern:
    """Commas and a joining word ("và", "cùng với") before the next document of a list, at a given place."""
    return re.compile(r"[\s,]*(?:(?:" + phrase_alt("citation_joiners") + r")\s+)?", re.IGNORECASE)


def _listed_next(text: str, pos: int, end: int) -> Optional[tuple[str, Optional[str], int, int]]:
    """(type, number, type end, start) of a cited document listed right after ``pos`` (before ``end``):
    commas or a joining word, then a type name with a number (or a law by name); None otherwise."""
    j = _joiner_rx().match(text, pos)
    start = j.end()
    if start == pos or start >= end:
        return None  # nothing joins them ("… ngày 12/6/2025 của Chính phủ")
    head = _head_at(text, start)
    if head is None or head[2] > end:
        return None
    if head[1] is None and (head[0] not in _NAMED_LAWS or not text[start].isupper()):
        return None  # "và hướng dẫn …" is no document of the list
    return head[0], head[1], head[2], start


@lru_cache(maxsize=None)
def _amendment_rx() -> re.Pattern:
    """"(và) được sửa đổi, bổ sung (bởi|tại) <document>" after a cited document (genre.json amendment_notes)."""
    return re.compile(r"[\s,]*(?:(?:" + phrase_alt("citation_joiners") + r")\s+)?(?<!\w)(?:"
                      + phrase_alt("amendment_notes") + r")(?!\w)", re.IGNORECASE)


def _before_amendment(rest: str) -> str:
    """``rest`` up to a note that the document was amended by another cited one (the amending document
    is cited on its own); unchanged where no cited document follows the note."""
    m = _amendment_rx().search(rest)
    if m and _type_name_any_case().search(rest, m.end()) and _NUM_ANYWHERE.search(rest, m.end()):
        return rest[:m.start()]
    return rest


_NUM_ANYWHERE = re.compile(r"\d+\s*[/-]")


_LAW_NAME = re.compile(r"([^;,(]*?)(?=\s+(?:ngày|số|năm \d{4}|được|đã)\b|\s+\d+\s*/\s*\d{4}\s*/|[;,(]|$)")
# a number with its year ("69/2025/QH15"): after a law's name it is the law's number even without "số"
_YEAR_NUMBER = re.compile(r"\s+\d+\s*/\s*\d{4}\s*/\s*[A-ZĐ]")
# after a comma, what ends a law's name: its date, number, amendment, or another cited item
_NAME_COMMA_STOP = re.compile(r",\s*(?:ngày|số|năm|được|đã|sửa đổi)(?!\w)")


def _law_name_end(seg: str) -> int:
    """Where the name of a law cited without number ends in ``seg`` (which starts after "Luật").

    A comma before a word in lower case is inside the name ("Luật Quản lý, sử dụng vũ khí, vật liệu nổ và công
    cụ hỗ trợ ngày 26/8/2024", 012): the names of laws join their subjects with commas. A comma before
    a capital ("…, Luật Tố cáo"), a date, a number or an amendment note ends it.
    """
    pos = 0
    while True:
        nm = _LAW_NAME.match(seg, pos)
        end = nm.end()
        if end >= len(seg) or seg[end] != "," or not _lower_word_after(seg, end):
            return end
        pos = end + 1


def _lower_word_after(seg: str, comma: int) -> bool:
    """Whether a word in lower case that does not end a law's name follows the comma at ``comma``."""
    rest = seg[comma + 1:].lstrip()
    if not rest[:1].isalpha() or not rest[:1].islower():
        return False
    return not _NAME_COMMA_STOP.match(seg, comma)


def _dedup_key(c: Cite) -> str:
    """The key that says two citations of one paragraph are the same document: the number's key, and for
    a document without number also its name (035: "Luật Bầu cử …; Luật Mặt trận Tổ quốc Việt Nam;" share
    the key 'luật@')."""
    if c.number or not c.name:
        return c.key
    return f"{c.key}#{c.name.casefold()}"


_CONNECTOR = re.compile(r"^[\s,;:.\-–]*(?:(?:và|cùng|đồng thời)\s+)?", re.IGNORECASE)


def legal_bases(lines: list[Line]) -> list[Cite]:
    """The documents cited in the preamble, each once (the first mention wins)."""
    out: list[Cite] = []
    seen: set[str] = set()
    for ln in lines:
        relation = _relation_of(ln.text)
        t = ln.text
        for s, e in _split_segments(t):
            seg = t[s:e]
            # strip the relation word and connectors at the segment start
            lead = _CONNECTOR.match(seg).end()
            rel_here = _relation_of(seg[lead:])
            if rel_here:
                w = _leading_relation_word(seg[lead:])
                lead += len(w)
                lead += len(seg[lead:]) - len(seg[lead:].lstrip())
            head = _head_at(t, s + lead)
            if head is None or _known(head, seen):
                continue
            c = _parse_at(t, s + lead, ln.start, e, head)
            key = None if c is None else _dedup_key(c)
            if key is None or key in seen:
                continue
            seen.add(key)
            c.relation = rel_here or relation
            out.append(c)
        # every other numbered document in the paragraph is cited too (an amending law
        # "được sửa đổi … tại Luật số 83/2025/QH15"); one item per document
        for c in references([ln], None, seen):
            c.relation = relation
            out.append(c)
    return out


@lru_cache(maxsize=None)
def _all_relation_words() -> tuple[str, ...]:
    """Every relation word, longest first (two words of one length cannot both start a text)."""
    return tuple(sorted((w for _, words in _relation_words() for w in words), key=len, reverse=True))


def _leading_relation_word(s: str) -> str:
    low = _lower_start(s)
    for w in _all_relation_words():
        if low.startswith(w):
            return s[:len(w)]
    return ""


@lru_cache(maxsize=None)
def _type_num_rx() -> re.Pattern:
    """A type name in any case followed by a number ("Kế hoạch số 12", "QUYẾT ĐỊNH 3")."""
    return re.compile(_TYPE_NUM.format(word_start_alt(type_names())), re.IGNORECASE)


@lru_cache(maxsize=None)
def _type_num_lower_rx() -> re.Pattern:
    """``_type_num_rx`` for a lower-cased line, case-sensitive: the same match positions, found in about half
    the steps (a case-insensitive pattern folds the case of every character it tries). Only for a line
    without a ``_CASE_ODD`` character."""
    return re.compile(_TYPE_NUM.format(word_start_alt([w.lower() for w in type_names()])))


_TYPE_NUM = r"(?P<type>{})\s+(?:số\s*:?\s*)?(?=\d)"
# characters where ``str.lower`` and re.IGNORECASE disagree: "İ" lower-cases to two characters (the positions
# would shift), "ı" and "ſ" match "i" and "s" case-insensitively but lower-case to themselves; the Kelvin and
# Ångström signs, final sigma for good measure. A line holding one is scanned with the case-insensitive pattern.
# tests/test_vocabulary_data.py checks every code point against the type names' letters.
_CASE_ODD = re.compile("[\u0130\u0131\u017f\u212a\u212b\u03a3\u03c2]")


_LAST_DIGIT = re.compile(r"(?s:.*)\d")  # matched at 0, it ends after the text's last digit


def _type_num_matches(t: str):
    """``_type_num_rx().finditer(t)``'s matches (only their start and end are read), found the cheaper way.

    A match is followed by a digit, so only the text up to the last digit is scanned (a line often has its
    only digits in its label or an early date, and the scan tries every position)."""
    last = _LAST_DIGIT.match(t)
    if last is None:
        return ()
    t = t[:last.end()]
    if _CASE_ODD.search(t):
        return _type_num_rx().finditer(t)
    return _type_num_lower_rx().finditer(t.lower())


def references(lines: list[Line], own_number: Optional[str], seen: Optional[set[str]] = None) -> list[Cite]:
    """Numbered documents cited outside the preamble (one item per document).

    ``seen``: keys of documents already cited, left out; the keys of the new items are added to it.
    """
    seen = set() if seen is None else seen
    if own_number:
        seen.add(number_key(own_number))
    out: list[Cite] = []
    for ln in lines:
        t = ln.text
        for m in _type_num_matches(t):  # a reference has a number: nothing in a line without a digit
            # the segment runs to the next ';' or sentence end or next cited type
            head = _head_at(t, m.start())
            if head is None or _known(head, seen):  # cited before: its key is known from its number, the rest is not parsed
                continue
            end = _reference_end(t, m.end())
            c = _parse_at(t, m.start(), ln.start, end, head)
            if c is None or not c.number:
                continue
            k = c.key
            if k in seen:
                continue
            seen.add(k)
            out.append(c)
    return out


def _reference_end(t: str, pos: int) -> int:
    """Where a reference that starts before ``pos`` ends: ";", ". ", or a ")" closing a bracket opened before it.

    A bracket opened inside the reference is kept whole: "… của Tỉnh ủy Lào Cai (gửi kèm theo)"
    is not cut to "… (gửi kèm theo".
    """
    depth = 0
    for m in _REF_STOP.finditer(t, pos):
        ch = m.group()
        if ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                return m.start()
            depth -= 1
        else:
            return m.start()
    return len(t)


_REF_STOP = re.compile(r"[;()]|\.(?=\s)")

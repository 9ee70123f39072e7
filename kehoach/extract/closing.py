"""Closing of a document: recipients ("Nơi nhận") and the signature block."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from kehoach.extract.names import clean, display_case, is_mostly_upper
from kehoach.extract.structure import NOI_NHAN, Anatomy, Line, is_noi_nhan
from kehoach.extract.vocabulary import phrase_regex, signature_vocab

_ARCHIVE = re.compile(r"^[-–+•*\s]*Lưu\b", re.IGNORECASE)
_BULLET = re.compile(r"^\s*[-–+•*·]\s*")
_NOT_NAME = re.compile(r"(?i)(đã ký|ký tên|đóng dấu|ghi rõ|họ và tên|\(ký|chữ ký|nơi nhận|kính gửi)")


@lru_cache(maxsize=None)
def _auth_alt() -> str:
    # longest first: "T/UQ" before "TUQ" before "TM"; the prefixes are data (signature.json)
    return "|".join(re.escape(k) for k in sorted(signature_vocab()["authority"], key=len, reverse=True))


@lru_cache(maxsize=None)
def _auth_rx() -> re.Pattern:
    # "KT. CHỦ TỊCH", "T/M. ĐOÀN KIỂM TRA", "T/M BAN THƯỜNG VỤ": a dot or colon, or only a space
    return re.compile(r"^\s*(?P<a>" + _auth_alt() + r")(?:\s*[.:]\s*|\s+)(?P<rest>\S.*)$")


@lru_cache(maxsize=None)
def _auth_inside_rx() -> re.Pattern:
    # an authority line glued after a recipient: "- Như trên; KT. CHỦ TỊCH"
    return re.compile(r"\s(?=(?:" + _auth_alt() + r")(?:\s*[.:]\s*|\s+)\S)")


@dataclass
class RecipientItem:
    name: str
    start: int
    end: int


@dataclass
class SignerInfo:
    name: Optional[str]
    position: Optional[str]
    authority: Optional[str]
    on_behalf_of: Optional[str]
    start: int
    end: int


@lru_cache(maxsize=None)
def _positions() -> frozenset[str]:
    return frozenset(signature_vocab()["positions"])


@lru_cache(maxsize=4096)  # called for every line of the closing zone, and again for its pieces
def is_position(text: str) -> bool:
    words = text.upper().split()
    pos = _positions()
    # the whole text, or a title followed by more words ("CHỦ TỊCH UBND XÃ")
    return any(" ".join(words[:k]) in pos for k in range(1, min(len(words), 6) + 1))


def is_signature_line(ln: Line) -> bool:
    return bool(_auth_rx().match(ln.text)) or (is_mostly_upper(ln.text) and not _BULLET.match(ln.text)
                                          and len(ln.text.split()) <= 8)


def _authority_line(text: str) -> bool:
    m = _auth_rx().match(text)
    return bool(m) and is_mostly_upper(m.group("rest"))


def _signature_piece(text: str) -> bool:
    """Whether ``text`` (cut from a recipients line) is a line of the signature column."""
    t = text.strip()
    if not t or t[-1] in ";,." or _BULLET.match(t):
        return False
    return _authority_line(t) or is_position(t) or _looks_like_name(t)


def _glued_at(text: str) -> Optional[int]:
    """Offset where a signature-column piece glued to the end of a recipients line begins.

    Text taken from a two-column page loses the gap between the recipients
    (left) and the signature block (right): seen in 047-052, "- Như trên; KT. CHỦ
    TỊCH", "- Chủ tịch UBND tỉnh (b/c); PHÓ CHỦ TỊCH", "- Lãnh đạo VPUBND tỉnh;
    Nguyễn Thế Phước", "- Văn phòng Sở (Bố trí kinh phí, phương TRƯỞNG ĐOÀN".
    """
    # cheap tests first: most recipient lines end in ";" with nothing after it
    if text.rstrip()[-1:] in (";", ",") and "; " not in text.rstrip()[:-1]:
        return None
    m = next((m for m in _auth_inside_rx().finditer(text) if _authority_line(text[m.end():])), None)
    if m is not None and text[:m.start()].strip():
        return m.end()
    # after the recipient's own ";" (or "." / ")" / ":"): a position or a person's name
    cut = max(text.rfind("; "), text.rfind("); "))
    if cut > 0 and _signature_piece(text[cut + 2:]):
        return cut + 2
    # a title in capitals after a word in lower case: "… phương TRƯỞNG ĐOÀN"
    if not text.rstrip()[-1:].isupper():
        return None
    words = text.split(" ")
    for k in range(max(1, len(words) - 5), len(words)):
        tail = " ".join(words[k:])
        prev = words[k - 1]
        if prev and not is_mostly_upper(prev) and is_position(tail) and tail.upper() == tail:
            return len(" ".join(words[:k])) + 1
    return None


def _split_row(ln: Line, raw: str, start: int) -> tuple[Optional[Line], Optional[Line]]:
    """(recipient part, signature part) of a closing line.

    ``raw`` is the source text of the line from ``start`` on, newlines kept. A
    logical line may join physical lines ("… phương TRƯỞNG ĐOÀN" / "tiện Phục vụ
    …" in 013): each physical line is looked at; the recipient part is the line
    without the piece, its span still covering the whole line.
    """
    if not raw.strip():
        return None, None
    pos = 0
    for seg in raw.split("\n"):
        at = _glued_at(seg)
        if at is not None:
            before, after = raw[:pos + at].rstrip(), raw[pos + len(seg):]
            left = " ".join((before + after).split("\n")).strip() if after.strip() else before.replace("\n", " ")
            rec_end = ln.end if after.strip() else start + len(before)
            rec = Line(idx=ln.idx, start=start, end=rec_end, text=left, body_start=start) if left.strip() else None
            return rec, Line(idx=ln.idx, start=start + pos + at, end=start + pos + len(seg), text=seg[at:],
                             body_start=start + pos + at)
        pos += len(seg) + 1
    return Line(idx=ln.idx, start=start, end=ln.end, text=raw.replace("\n", " "), body_start=start), None


Row = tuple[Line, Optional[Line], Optional[Line]]


def closing_rows(a: Anatomy) -> list[Row]:
    """Lines from "Nơi nhận" on, each as (line, recipient part, signature part).

    The "Nơi nhận:" label is cut off the first line; what follows it on that
    line is a recipient, or the signature block's first line ("Nơi nhận: KT.
    GIÁM ĐỐC") when the two columns were flattened into one. ``recipients`` and
    ``signer`` both read them: compute them once and pass them to both.
    """
    lines = a.lines
    start = next((ln.idx for ln in lines if is_noi_nhan(ln)), None)
    if start is None:
        return []
    first = lines[start]
    label = NOI_NHAN.match(first.text)
    inline_start = first.start + (label.end() if label else 0)
    inline = first.text[inline_start - first.start:]
    rows: list[Row] = []
    if inline.strip():
        if _signature_piece(inline) or (is_mostly_upper(inline) and len(inline.split()) <= 8
                                        and inline.strip()[-1] not in ";,."):
            rows.append((first, None, Line(idx=first.idx, start=inline_start, end=first.end, text=inline,
                                           body_start=inline_start)))
        else:
            rows.append((first, *_split_row(first, a.text[inline_start:first.end], inline_start)))
    else:
        rows.append((first, None, None))
    for ln in lines[start + 1:start + 40]:
        if _ARCHIVE.match(ln.text):
            # the recipients end here; what follows (the signer's name, annexes) stands on lines of its own
            rows.append((ln, None, None))
            break
        rows.append((ln, *_split_row(ln, a.text[ln.start:ln.end], ln.start)))
    return rows


def recipients(a: Anatomy, rows: Optional[list[Row]] = None) -> list[RecipientItem]:
    """The "Nơi nhận" list; ``rows``: ``closing_rows(a)`` when already computed."""
    rows = closing_rows(a) if rows is None else rows
    if not rows:
        return []
    out: list[RecipientItem] = []
    first_rec = rows[0][1]  # what follows the "Nơi nhận:" label on its own line
    pending: list[tuple[str, int, int]] = [] if first_rec is None else [(first_rec.text, first_rec.start, first_rec.end)]
    after_signature = False
    for ln, rec, _ in rows[1:]:
        if _ARCHIVE.match(ln.text):
            break
        if rec is None:
            continue
        if is_signature_line(rec) or _auth_rx().match(rec.text):
            # a line of the signature column standing alone between recipients ("PHÓ GIÁM ĐỐC" in 047)
            # is passed over; anything else in capitals ends the list
            if _authority_line(rec.text) or is_position(rec.text):
                after_signature = True
                continue
            break
        if _BULLET.match(rec.text) or not pending:
            if after_signature and not _BULLET.match(rec.text):
                break
            pending.append((rec.text, rec.start, rec.end))
            after_signature = False
        else:
            if after_signature:
                break
            t, s, _ = pending[-1]
            if t.rstrip().endswith((";", ".")):
                # a line after a finished item that is not a bullet ends the list
                break
            pending[-1] = (t + " " + rec.text, s, rec.end)
    for t, s, e in pending:
        name = clean(_without_marks(clean(_BULLET.sub("", t))))
        if name and not _ARCHIVE.match(name) and _WORD2.search(name):
            out.append(RecipientItem(name, s, e))
    return out


_WORD2 = re.compile(r"[^\W\d_]{2}")  # a word of two letters: a recipient names something
# a stray mark: punctuation, or one lower-case letter (no recipient ends with one)
_MARK = re.compile(r"^(?:[^\w\s]+|[^\W\d_A-ZĐÀ-Ỹ])$")


def _without_marks(name: str) -> str:
    """A recipient without the stray marks OCR reads from a stamp or signature beside the list:
    "Nhưtrên; „ z r ." -> "Nhưtrên;", and "h" (before "KT. GIÁM ĐỐC") -> "" (014, scanned)."""
    words = name.split()
    while words and _MARK.match(words[-1]):
        words.pop()
    return " ".join(words)


def _looks_like_name(text: str) -> bool:
    t = clean(text)
    if not t or _NOT_NAME.search(t) or re.search(r"\d", t):
        return False
    words = t.split()
    if not 2 <= len(words) <= 6:
        return False
    if phrase_regex("agency_heads", anchored=True).match(t):
        return False  # "Sở Công Thương Lào Cai" is a body, not the person who signs
    return all(w[:1].isupper() for w in words) and not is_position(t) and not _auth_rx().match(t)


def signer(a: Anatomy, recipient_items: list[RecipientItem], rows: Optional[list[Row]] = None) -> Optional[SignerInfo]:
    lines = a.lines
    if not lines:
        return None
    taken = {(r.start, r.end) for r in recipient_items}
    body_end = a.body[-1].idx if a.body else 0
    # the signature stands beside or after "Nơi nhận"; annexes and forms may follow it
    rows = closing_rows(a) if rows is None else rows
    nn = rows[0][0].idx if rows else None
    lo, hi = (max(0, nn - 12), nn + 25 + len(recipient_items)) if nn is not None else (len(lines) - 30, len(lines))
    # a row that holds a recipient and a piece of the signature column gives only the piece
    pieces = {ln.idx: (rec, sig) for ln, rec, sig in rows}
    zone: list[Line] = []
    for ln in lines[max(0, lo):hi]:
        if ln.idx in pieces:
            rec, sig = pieces[ln.idx]
            if sig is not None:
                zone.append(sig)  # a piece may lie inside a recipient's span (013): it is not a recipient
                continue
            if rec is None:
                continue
            ln = rec
        if any(s <= ln.start < e for s, e in taken) or is_noi_nhan(ln) or _ARCHIVE.match(ln.text):
            continue
        zone.append(ln)
    k_auth = next((k for k, ln in enumerate(zone) if _authority_line(ln.text)), None)
    auth_ln = zone[k_auth] if k_auth is not None else None
    if auth_ln is not None and k_auth + 1 < len(zone) and _authority_line(zone[k_auth + 1].text) \
            and signature_vocab()["authority"].get(_auth_rx().match(auth_ln.text).group("a")) == "TM":
        # "TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH": the vice-chair signs KT. for the chair
        # (gold 010, 052); "TL. CHỦ TỊCH / KT. CHÁNH VĂN PHÒNG" keeps TL (gold 020)
        k_auth += 1
        auth_ln = zone[k_auth]
    pos_ln = None
    if auth_ln is not None:
        after = zone[k_auth + 1:]
        # "TL. CHỦ TỊCH / KT. CHÁNH VĂN PHÒNG / PHÓ CHÁNH VĂN PHÒNG": the position is the first line with no authority
        pos_ln = next((ln for ln in after[:4] if is_mostly_upper(ln.text) and not _looks_like_name(ln.text)
                       and not _auth_rx().match(ln.text)), None)
    else:
        pos_ln = next((ln for ln in reversed(zone) if is_position(ln.text) and ln.idx >= body_end - 2), None)
    anchor = pos_ln or auth_ln
    if anchor is None:
        return None
    k_anchor = next(k for k, ln in enumerate(zone) if ln is anchor)
    name_ln = next((ln for ln in zone[k_anchor + 1:] if _looks_like_name(ln.text)), None)
    authority = on_behalf = None
    if auth_ln is not None:
        m = _auth_rx().match(auth_ln.text)
        authority = signature_vocab()["authority"].get(m.group("a"))
        on_behalf = display_case(m.group("rest"))
    position = position_case(pos_ln.text) if pos_ln is not None else (on_behalf if authority is None else None)
    name = clean(name_ln.text) if name_ln is not None else None
    if name and is_mostly_upper(name):
        name = " ".join(w[:1] + w[1:].lower() for w in name.split())
    start = (auth_ln or anchor).start
    end = (name_ln or anchor).end
    return SignerInfo(name, position, authority, on_behalf, start, end)


def position_case(text: str) -> str:
    """A title from the signature block in usual case: "PHÓ CHỦ TỊCH" -> "Phó Chủ tịch".

    The title after a deputy word keeps its capital (signature.json ``deputy_prefixes``).
    """
    shown = display_case(text)
    for dep in signature_vocab().get("deputy_prefixes", []):
        if shown.lower().startswith(dep.lower() + " ") and len(shown) > len(dep) + 1:
            rest = shown[len(dep) + 1:]
            return shown[:len(dep)] + " " + rest[:1].upper() + rest[1:]
    return shown

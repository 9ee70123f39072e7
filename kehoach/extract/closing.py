"""Closing of a document: recipients ("Nơi nhận") and the signature block."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from kehoach.extract.names import clean, display_case, is_mostly_upper
from kehoach.extract.structure import Anatomy, Line, is_noi_nhan
from kehoach.extract.vocabulary import phrase_regex, signature_vocab

_AUTH = re.compile(r"^\s*(?P<a>KT|TM|TL|TUQ|Q)\s*[.:]\s*(?P<rest>.+)$")
_ARCHIVE = re.compile(r"^[-–+•*\s]*Lưu\b", re.IGNORECASE)
_BULLET = re.compile(r"^\s*[-–+•*·]\s*")
_NOT_NAME = re.compile(r"(?i)(đã ký|ký tên|đóng dấu|ghi rõ|họ và tên|\(ký|chữ ký|nơi nhận|kính gửi)")


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


def _positions() -> list[str]:
    return sorted(signature_vocab()["positions"], key=len, reverse=True)


def is_position(text: str) -> bool:
    t = re.sub(r"\s+", " ", text.strip()).upper()
    return any(t == p or t.startswith(p + " ") for p in _positions())


def is_signature_line(ln: Line) -> bool:
    return bool(_AUTH.match(ln.text)) or (is_mostly_upper(ln.text) and not _BULLET.match(ln.text)
                                          and len(ln.text.split()) <= 8)


def recipients(a: Anatomy) -> list[RecipientItem]:
    lines = a.lines
    start = next((ln.idx for ln in lines if is_noi_nhan(ln)), None)
    if start is None:
        return []
    out: list[RecipientItem] = []
    first = lines[start]
    inline = re.sub(r"^\s*N[ơo]i\s+nh[ậa]n\s*:?\s*", "", first.text, flags=re.IGNORECASE)
    pending: list[tuple[str, int, int]] = []
    if inline.strip():
        off = first.end - len(inline)
        pending.append((inline, off, first.end))
    for ln in lines[start + 1:]:
        if _ARCHIVE.match(ln.text):
            break
        if is_signature_line(ln) or _AUTH.match(ln.text):
            break
        if _BULLET.match(ln.text) or not pending:
            pending.append((ln.text, ln.start, ln.end))
        else:
            t, s, _ = pending[-1]
            if t.rstrip().endswith((";", ".")):
                # a line after a finished item that is not a bullet ends the list
                break
            pending[-1] = (t + " " + ln.text, s, ln.end)
    for t, s, e in pending:
        for part in [t]:
            name = clean(_BULLET.sub("", part))
            if name and not _ARCHIVE.match(name):
                out.append(RecipientItem(name, s, e))
    return out


def _looks_like_name(text: str) -> bool:
    t = clean(text)
    if not t or _NOT_NAME.search(t) or re.search(r"\d", t):
        return False
    words = t.split()
    if not 2 <= len(words) <= 6:
        return False
    if phrase_regex("agency_heads", anchored=True).match(t):
        return False  # "Sở Công Thương Lào Cai" is a body, not the person who signs
    return all(w[:1].isupper() for w in words) and not is_position(t) and not _AUTH.match(t)


def signer(a: Anatomy, recipient_items: list[RecipientItem]) -> Optional[SignerInfo]:
    lines = a.lines
    if not lines:
        return None
    taken = {(r.start, r.end) for r in recipient_items}
    body_end = a.body[-1].idx if a.body else 0
    # the signature stands beside or after "Nơi nhận"; annexes and forms may follow it
    nn = next((ln.idx for ln in lines if is_noi_nhan(ln)), None)
    lo, hi = (max(0, nn - 12), nn + 25 + len(recipient_items)) if nn is not None else (len(lines) - 30, len(lines))
    zone = [ln for ln in lines[max(0, lo):hi]
            if not any(s <= ln.start < e for s, e in taken) and not is_noi_nhan(ln) and not _ARCHIVE.match(ln.text)]
    auth_ln = next((ln for ln in zone if _AUTH.match(ln.text) and is_mostly_upper(_AUTH.match(ln.text).group("rest"))),
                   None)
    pos_ln = None
    if auth_ln is not None:
        after = [ln for ln in zone if ln.idx > auth_ln.idx]
        # "TL. CHỦ TỊCH / KT. CHÁNH VĂN PHÒNG / PHÓ CHÁNH VĂN PHÒNG": the position is the first line with no authority
        pos_ln = next((ln for ln in after[:4] if is_mostly_upper(ln.text) and not _looks_like_name(ln.text)
                       and not _AUTH.match(ln.text)), None)
    else:
        pos_ln = next((ln for ln in reversed(zone) if is_position(ln.text) and ln.idx >= body_end - 2), None)
    anchor = pos_ln or auth_ln
    if anchor is None:
        return None
    name_ln = next((ln for ln in zone if ln.idx > anchor.idx and _looks_like_name(ln.text)), None)
    authority = on_behalf = None
    if auth_ln is not None:
        m = _AUTH.match(auth_ln.text)
        authority = signature_vocab()["authority"].get(m.group("a"))
        on_behalf = display_case(m.group("rest"))
    position = display_case(pos_ln.text) if pos_ln is not None else (on_behalf if authority is None else None)
    name = clean(name_ln.text) if name_ln is not None else None
    if name and is_mostly_upper(name):
        name = " ".join(w[:1] + w[1:].lower() for w in name.split())
    start = (auth_ln or anchor).start
    end = (name_ln or anchor).end
    return SignerInfo(name, position, authority, on_behalf, start, end)

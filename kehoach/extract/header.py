"""Header: issuer, number, doc type, place and date, title (trích yếu)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from kehoach.extract.dates import parse_date_line
from kehoach.extract.names import clean, display_case, is_mostly_upper, normalized
from kehoach.extract.structure import Anatomy, Line
from kehoach.extract.vocabulary import number_codes, phrase_alt, phrase_regex, type_names
from kehoach.vocab import load

# Số ký hiệu: "4639 /KH-UBND-NV", "16-KH/MTTQ-BTT", "01.6/GĐN/KSYB", "/KH-UBND" (blank),
# "522/2002/QĐ.UB". Code segments are capitals (with Đ), digits, '.', '&'; "CTrHD" has lower case.
NUMBER_CORE = r"(?:\d+[A-Za-z]?(?:\.\d+)?\s*)?[/-]\s*(?:\d{4}\s*/\s*)?[A-ZĐ][A-Za-zĐđ0-9.&]*(?:\s*[-/]\s*[A-ZĐ][A-Za-zĐđ0-9.&]*)*"
_SO = re.compile(r"(?<!\w)Số\s*(?:ký hiệu)?\s*[:.]?\s*(?P<num>[.…_ ]*" + NUMBER_CORE + r")")
_DATE_LINE = re.compile(r"(?:^|[\s,])(?P<place>[A-ZĐÀ-Ỹa-zđà-ỹ0-9 .]{2,40}?)\s*,\s*ngày\b", re.UNICODE)
_VV = re.compile(r"^(?:V/v|V/V|[Vv]ề việc|Vv)[:.]?\s*(?P<t>.*)$")  # "về việc …" under the number (050)


@dataclass
class Header:
    doc_type: Optional[str] = None
    number: Optional[str] = None
    number_span: Optional[tuple[int, int]] = None
    issuer: Optional[str] = None
    issuer_span: Optional[tuple[int, int]] = None
    place: Optional[str] = None
    issued_date: Optional[str] = None
    date_span: Optional[tuple[int, int]] = None
    signed_date: Optional[str] = None  # the date line's blank day, filled from the digital signature
    title: Optional[str] = None
    title_span: Optional[tuple[int, int]] = None


def date_from_signatures(partial: Optional[str], signed: list[str]) -> Optional[str]:
    """The issuing date of an e-signed document whose date line was left blank for the stamp.

    Seen in 016 and 020: the PDF says "ngày   tháng 7 năm 2026" (or "ngày   tháng   năm 2026") and the
    day is printed only in the issuing office's signature stamp, applied last. The date of the last
    signature that agrees with what the line does say (year, and month where written) fills it in;
    a line with its day written, or a signature from another month or year, gives nothing.
    """
    if not partial or not signed or len(partial) not in (4, 7) or not re.fullmatch(r"\d{4}(?:-\d{2})?", partial):
        return None
    for d in reversed(signed):
        if d.startswith(partial):
            return d
    return None


@lru_cache(maxsize=None)
def _motto_rx() -> re.Pattern:
    mottos = load("casing")["motto"]
    parts = [r"\s*".join(re.escape(w) for w in m.replace("-", " - ").replace("–", " – ").split()) for m in mottos]
    return re.compile("|".join(parts), re.IGNORECASE)


def number_code(number: str) -> Optional[str]:
    """Doc type code inside a number: "4639/KH-UBND" -> KH, "16-KH/MTTQ" -> KH, "5141/SNNMT-KS" -> None."""
    codes = number_codes()
    m = re.match(r"^[\d.A-Za-z]*?(?:/\d{4})?[/-](?P<c>[A-Za-zĐđ]+)", number)
    if m and m.group("c") in codes:
        return codes[m.group("c")]
    return None


def clean_number(raw: str) -> Optional[str]:
    s = re.sub(r"\s+", "", raw).strip("…._")
    s = s.rstrip(".,;")
    return s if re.match(r"\d", s) else None


def extract_header(a: Anatomy, type_code: Optional[str]) -> Header:
    h = Header()
    zone = a.header_lines if a.heading is not None else a.lines[:30]
    motto = _motto_rx()

    # number
    for ln in zone + a.title_lines:
        m = _SO.search(ln.text)
        if m:
            raw = m.group("num")
            h.number = clean_number(raw)
            s = ln.start + m.start("num")
            h.number_span = (s, ln.start + m.end("num"))
            code_src = re.sub(r"\s+", "", raw).lstrip("…._")
            h.doc_type = number_code(code_src if code_src[:1].isdigit() else "0" + code_src)
            break

    # place and date
    for ln in zone + a.title_lines + a.lines[:40]:
        if "ngày" not in ln.text or "năm" not in ln.text:
            continue
        m = _DATE_LINE.search(ln.text)
        value = parse_date_line(ln.text[m.end() - 4:] if m else ln.text)
        if value is None:
            continue
        if m is None and not re.match(r"^\s*ngày\b", ln.text, re.IGNORECASE):
            continue
        if m:
            place = m.group("place")
            place = _place_tail(place)
            h.place = place or None
        h.issued_date = value
        h.date_span = (ln.start, ln.end)
        break

    # title
    title_lines = _trim_authority_line(a.title_lines)
    if title_lines:
        t = " ".join(clean(ln.text) for ln in title_lines)
        h.title = clean(t)
        h.title_span = (title_lines[0].start, title_lines[-1].end)
    else:
        vv = _find_vv(zone, motto)
        if vv:
            h.title, h.title_span = vv
    if type_code:
        h.doc_type = type_code
    elif h.doc_type is None and h.title_span and h.title and a.heading is None:
        h.doc_type = "CV"
    elif h.doc_type is None and h.number:
        h.doc_type = "CV"  # a number with no type code is a công văn (5141/SNNMT-KS)

    # issuer
    h.issuer, h.issuer_span = _issuer_from_header(zone, motto)
    if not h.issuer:
        h.issuer, h.issuer_span = _issuer_from_body(a, h.place)
    return h


# a rule drawn under the trích yếu ("_____", "-----"): layout, not words of the title (005)
_RULE_LINE = re.compile(r"^[\s_\-–—=.*]+$")


def _trim_authority_line(lines: list[Line]) -> list[Line]:
    """The title lines without the authority line and rules that follow the trích yếu.

    A Quyết định (Nghị quyết, Chỉ thị) sets the name of the body or office that decides in capitals on
    the line between its trích yếu and the first "Căn cứ" (Nghị định 30/2020, Phụ lục I: "thẩm quyền
    ban hành"): "ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI" (005), "GIÁM ĐỐC SỞ CÔNG THƯƠNG LÀO CAI" (022),
    "BAN THƯỜNG TRỰC ỦY BAN MTTQ VIỆT NAM XÃ LƯƠNG MINH" (040). It is not part of the title. A title
    written wholly in capitals keeps every line: only capitals after a line in usual case are cut.
    """
    keep = list(lines)
    while keep and _RULE_LINE.match(keep[-1].text):
        keep.pop()
    if len(keep) > 1 and keep[-1].is_upper and not all(ln.is_upper for ln in keep[:-1]):
        keep.pop()
        while keep and _RULE_LINE.match(keep[-1].text):
            keep.pop()
    return keep


def _place_tail(s: str) -> str:
    """Trailing capitalised words of the text before ", ngày": the place name."""
    toks = s.strip().split()
    out: list[str] = []
    for t in reversed(toks):
        if "/" in t or ":" in t:
            break
        if t[:1].isupper() or (t[:1].isdigit() and len(t) <= 3) or t.lower() in ("tp.", "tp"):
            out.append(t)
            continue
        break
    while out and out[-1][:1].isdigit():
        out.pop()
    return " ".join(reversed(out)).strip(" .")


def _find_vv(zone: list[Line], motto: re.Pattern) -> Optional[tuple[str, tuple[int, int]]]:
    for i, ln in enumerate(zone):
        m = _VV.match(ln.text.strip())
        start = ln.start
        if not m:
            # "Số 2449 -CV/ĐU" / "về việc triển khai …" (050): a line opening in lower case joins the number's
            num = _SO.search(ln.text)
            m = _VV.match(ln.text[num.end():].lstrip()) if num else None
            if not m:
                continue
            start = ln.start + len(ln.text) - len(ln.text[num.end():].lstrip())
        parts = [m.group("t")]
        end = ln.end
        # a trích yếu runs over several lines; one that opens with a capital ("Nghị định số 180/2026/NĐ-CP
        # ngày 21/5/2026 …", 049) is still part of it; the date line ("Lào Cai, ngày …") is not
        for nxt in zone[i + 1:i + 6]:
            if nxt.block != ln.block or motto.search(nxt.text) or _SO.search(nxt.text) \
                    or re.search(r",\s*ngày\b", nxt.text) or re.match(r"\s*ngày\b", nxt.text) \
                    or nxt.text.lower().startswith("kính gửi") or is_mostly_upper(nxt.text):
                break
            parts.append(nxt.text)
            end = nxt.end
        return clean(" ".join(parts)), (start, end)
    return None


def _levels() -> str:
    """Alternation of the locality level words (genre.json ``locality_levels``, the one list), longest first."""
    return phrase_alt("locality_levels")


@lru_cache(maxsize=None)
def _level_start() -> re.Pattern:
    # a header line opening with a level word in capitals ("TỈNH LÀO CAI") ends the name above it
    return re.compile(r"^(?:" + _levels().upper() + r")(?!\w)")


_SPACES = re.compile(r"\s+")
# "SỐ 1050/QĐ-SCT" in capitals: the number of the decision named on the header line above
_DECISION_NUMBER = re.compile(r"SỐ\s*[:.]?\s*(?P<num>" + NUMBER_CORE + r")")


@lru_cache(maxsize=None)
def _by_decision_rx() -> re.Pattern:
    """A header line in capitals that names the document setting up the body above it ("THEO QUYẾT ĐỊNH")."""
    types = "|".join(re.escape(t.upper()) for t in type_names())
    return re.compile(r"(?:^|\s)(?:" + phrase_alt("established_by").upper() + r")\s+(?P<type>" + types + r")(?!\w)")


def _issuer_from_header(zone: list[Line], motto: re.Pattern) -> tuple[Optional[str], Optional[tuple[int, int]]]:
    agency: list[tuple[str, int, int]] = []
    by_decision = False  # the last name is a body set up by a decision ("ĐOÀN KIỂM TRA" / "THEO QUYẾT ĐỊNH")
    for ln in zone:
        t = ln.text
        if by_decision:
            # "SỐ 1050/QĐ-SCT" in capitals under "THEO QUYẾT ĐỊNH" (013) is the decision's number, not the
            # document's ("Số: 1105/KH-ĐKT")
            num = _DECISION_NUMBER.match(t.strip())
            if num:
                prev = agency.pop()
                end = ln.start + len(t) - len(t.lstrip()) + num.end()  # the date line may share the line
                agency.append((prev[0] + " SỐ " + _SPACES.sub("", num.group("num")), prev[1], end))
                by_decision = False
                continue
        if _SO.search(t) or _VV.match(t.strip()) or re.search(r",\s*ngày\b", t):
            # text before "Số:" on the same line may still be the agency (layout text)
            cut = _SO.search(t)
            t = t[:cut.start()] if cut else ""
        t = motto.sub(" ", t)
        t = re.sub(r"[-–_=*]{2,}|^[-–_=*\s]+$", " ", t)
        t = clean(t)
        if not t or not is_mostly_upper(t) or len(t) < 3:
            if agency and t and not is_mostly_upper(t):
                break
            continue
        if re.fullmatch(r"[A-ZĐ]{1,3}", t):
            continue
        if agency and _level_start().match(t):
            # a name broken over two lines: "ỦY BAN NHÂN DÂN" / "TỈNH LÀO CAI"
            prev = agency.pop()
            agency.append((prev[0] + " " + t, prev[1], ln.end))
            continue
        if agency and _by_decision_rx().match(t):
            # "ĐOÀN KIỂM TRA" / "THEO QUYẾT ĐỊNH" / "SỐ 1050/QĐ-SCT" (013): a body set up by a decision is
            # named with it (genre.json established_by)
            prev = agency.pop()
            agency.append((prev[0] + " " + t, prev[1], ln.end))
            by_decision = True
            continue
        agency.append((t, ln.start, ln.end))
        if len(agency) >= 3:
            break
    if not agency:
        return None, None
    names = [display_case(x[0]) for x in agency]
    issuer = names[-1]
    decision = _by_decision_rx().search(agency[-1][0])
    if decision:
        # display case lower-cases the document type and its number: both are written as in running text
        head = issuer[:decision.start("type")]
        dtype = issuer[decision.start("type"):decision.end("type")]
        tail = issuer[decision.end("type"):]
        num = _DECISION_NUMBER.search(agency[-1][0])
        if num:
            number = _SPACES.sub("", num.group("num"))
            at = tail.lower().rfind(number.lower())
            if at >= 0:
                tail = tail[:at] + number + tail[at + len(number):]
        issuer = head + dtype[:1].upper() + dtype[1:] + tail
    if len(names) >= 2 and decision:
        # the decision is its parent's: "Đoàn kiểm tra theo Quyết định số 1050/QĐ-SCT của Sở Công Thương"
        issuer = f"{issuer} của {names[-2]}"
    elif len(names) >= 2:
        parent = names[-2]
        parent_n = normalized(parent) or parent
        loc = re.search(r"(?<!\w)(" + _levels() + r")\s+\S.*$", parent_n, re.IGNORECASE)
        bare = re.search(r"(?<!\w)(" + _levels() + r")$", issuer)
        if bare and loc and loc.group(1).lower() == bare.group(1):
            # "ĐẢNG BỘ TỈNH LÀO CAI" / "ĐẢNG ỦY ỦY BAN NHÂN DÂN TỈNH" (050): the body's bare "tỉnh" is the parent's
            issuer = f"{issuer}{loc.group(0)[len(loc.group(1)):]}"
        elif re.match(r"(?i)(ủy|uỷ) ban nhân dân", parent_n) and loc and not re.search(
                r"(?i)(?:" + _levels() + r")\s", issuer):
            issuer = f"{issuer} {loc.group(0)}"
        elif not re.match(r"(?i)(ủy|uỷ) ban nhân dân", parent_n):
            issuer = f"{issuer} {parent}"
    return issuer, (agency[0][1], agency[-1][2])


def _issuer_from_body(a: Anatomy, place: Optional[str]) -> tuple[Optional[str], Optional[tuple[int, int]]]:
    rx = phrase_regex("issuer_verbs")
    for ln in (a.preamble + a.body)[:12]:
        m = rx.search(ln.text)
        if not m:
            continue
        before = ln.text[:m.start()]
        cut = max(before.rfind(";"), before.rfind(","), before.rfind(":"))
        subj = clean(before[cut + 1:])
        if not subj or len(subj.split()) > 20 or not phrase_regex("agency_heads", anchored=True).match(subj):
            continue
        # "UBND tỉnh" + place "Bình Định" -> "UBND tỉnh Bình Định"
        if place and re.search(r"(?i)(?<!\w)(?:" + _levels() + r")$", subj):
            subj = f"{subj} {place}"
        start = ln.start + cut + 1 + (len(before[cut + 1:]) - len(before[cut + 1:].lstrip()))
        return subj, (start, ln.start + m.start())
    return None, None

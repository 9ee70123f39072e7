"""Unit tables for the extractor (``kehoach.extract``), on sentences from real documents.

Every case quotes a document: a fixture in ``tests/fixtures`` (named by its number,
"001" … "004" for the seeds, "010" … "052" for the real ones) or, where a form does
not occur in a fixture, the corpus file beside the repository it comes from
(``../shared/corpus``). :func:`test_quotes_are_real` checks each quote against its
source, so a case cannot drift into invented genre text; the few constructed inputs
(an impossible date) say so and why.

Expectations follow spec/EXTRACTION.md and the gold records in
``tests/fixtures/gold``. Where the extractor disagrees today the case is marked
``xfail(strict=True)`` with the reason: the gap stays visible, and the mark must be
removed (the run fails) once the extractor is fixed. No expectation is weakened to
pass.

Last, whole-record invariants run on every fixture: spans inside the text, pages
for paged sources, the values rules of the spec, and the record's JSON shape.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from unittest.mock import ANY

import pytest
from pydantic import BaseModel

from kehoach.evaluate import fuzzy_eq
from kehoach.extract import body, citations, closing, dates, header, names, structure, worklist
from kehoach.ingest.base import SourceText
from kehoach.ingest.text import source_from_text
from kehoach.pipeline import process_file
from kehoach.schema import PlanRecord
from kehoach.schema.record import Item

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
FIXTURE_FILES = sorted((FIXTURES / "seeds").glob("*.txt")) + sorted(
    p for p in (FIXTURES / "real").iterdir() if p.is_file()
)
CORPUS = ROOT.parent / "shared" / "corpus"


# --- helpers: fixtures, quotes, matchers ------------------------------------------------------


def fixture_path(key: str) -> Path:
    """The fixture whose name starts with ``key`` ("001", "052")."""
    found = [p for p in FIXTURE_FILES if p.name.startswith(key + "_")]
    assert len(found) == 1, f"fixture {key!r}: {found}"
    return found[0]


@lru_cache(maxsize=None)
def extracted(key: str) -> tuple[PlanRecord, SourceText]:
    """Record and source of a fixture, extracted once per run (treat as read-only)."""
    return process_file(fixture_path(key))


QUOTES: list[tuple[str, str]] = []


def q(source: str | None, text: str) -> str:
    """Register ``text`` as a quote from ``source`` (checked by test_quotes_are_real) and return it.

    ``source`` is a fixture key ("004") or a path under ../shared/corpus ("real/050_….txt");
    None marks a constructed input, which must say why in a comment.
    """
    if source is not None:
        QUOTES.append((source, text))
    return text


def qs(source: str, *parts: str, sep: str = "\n\n") -> str:
    """Several quotes from one source joined (a section heading and one of its items, say)."""
    return sep.join(q(source, part) for part in parts)


def bug(reason: str) -> pytest.MarkDecorator:
    """A known gap between the extractor and the spec/gold: strict, so a fix flips it."""
    return pytest.mark.xfail(strict=True, reason=reason)


def normalized(raw: str) -> str:
    return source_from_text(raw).text


def lines_of(raw: str) -> list[structure.Line]:
    return structure.split_lines(normalized(raw))


def anatomy_of(raw: str) -> structure.Anatomy:
    return structure.analyse(normalized(raw))


class Fuzzy:
    """Equal to a string that the scorer would match (spec: shared words cover ≥0.8 / ≥0.5)."""

    def __init__(self, text: str):
        self.text = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and fuzzy_eq(self.text, other)

    def __repr__(self) -> str:
        return f"Fuzzy({self.text!r})"


class Contains:
    """Equal to a string that contains ``part``."""

    def __init__(self, part: str):
        self.part = part

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and self.part in other

    def __repr__(self) -> str:
        return f"Contains({self.part!r})"


class Len:
    """Equal to a sequence of ``n`` items."""

    def __init__(self, n: int):
        self.n = n

    def __eq__(self, other: object) -> bool:
        return hasattr(other, "__len__") and len(other) == self.n  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"Len({self.n})"


# --- dates.find_dates -------------------------------------------------------------------------


def hit(value: str, text: str, inferred: bool = False) -> tuple[str, str, bool]:
    """Expected date mention: its value, the text its span covers, whether the year was lent."""
    return (value, text, inferred)


DATE_CASES = [
    pytest.param(q("001", "Quận 12, ngày 27 tháng 6 năm 2024"), None,
                 [hit("2024-06-27", "ngày 27 tháng 6 năm 2024")], id="001-word-date"),
    pytest.param(q("001", "2. Thời gian: dự kiến 08 giờ, ngày 26 tháng 7 năm 2024 (sáng thứ Sáu)."), None,
                 [hit("2024-07-26T08:00", "08 giờ, ngày 26 tháng 7 năm 2024")], id="001-time-of-day"),
    pytest.param(q("001", "gắn với các hoạt động chào mừng Kỷ niệm 50 năm ngày Giải phóng miền Nam, "
                          "thống nhất đất nước (30/4/1975 - 30/4/2025)."), None,
                 [hit("1975-04-30/2025-04-30", "30/4/1975 - 30/4/2025")], id="001-range"),
    pytest.param(q("004", "2. Thời gian: 01 ngày (dự kiến tổ chức trong quý III/2020)."), None,
                 [hit("2020-Q3", "quý III/2020")], id="004-quarter"),
    pytest.param(q("004", "1. Báo cáo kết quả việc xây dựng, thực hiện quy chế dân chủ ở xã, phường, thị trấn "
                          "trên địa bàn tỉnh 6 tháng đầu năm 2020."), None,
                 [hit("2020-H1", "6 tháng đầu năm 2020")], id="004-half-year"),
    # seen in 002: "trước ngày 20 tháng 11" has no year; it takes the document's (2020)
    pytest.param(q("002", "gửi về Ban Thường trực Ủy ban Mặt trận Tổ quốc Việt Nam Quận (qua Bộ phận Dân chủ - "
                          "Pháp luật) trước ngày 20 tháng 11."), 2020,
                 [hit("2020-11-20", "ngày 20 tháng 11", inferred=True)], id="002-no-year-inferred"),
    pytest.param(q("010", "- Các Sở, ngành, địa phương định kỳ hàng năm (trước ngày 10/12) hoặc đột xuất báo cáo"),
                 2026, [hit("2026-12-10", "ngày 10/12", inferred=True)], id="010-numeric-no-year-inferred"),
    # a scanned letter types spaces inside the date
    pytest.param(q("real/transcripts/002_CV_275_STTTT-CNTT_PhuTho_16-12-2011_scan.txt",
                   "gia Hội thi kỹ năng sử dụng máy tính (mẫu kèm theo) trước ngày 22/ 12/ 2011"), None,
                 [hit("2011-12-22", "ngày 22/ 12/ 2011")], id="corpus002-spaces-in-date"),
    pytest.param(q("013", "(Kèm theo Kế hoạch số 1105 /KH-ĐKT ngày10 /3/2026 của Đoàn kiểm tra theo Quyết định "
                          "số 1050/QĐ-SCT)"), None,
                 [hit("2026-03-10", "ngày10 /3/2026")], id="013-glued-ngay"),
    pytest.param(q("real/transcripts/025_QD_991-QD-UBND_BinhPhuoc_14-5-2008_KH_rung_VNI.txt",
                   "Đồng Xoài, ngày 14 tháng5 năm 2008"), None,
                 [hit("2008-05-14", "ngày 14 tháng5 năm 2008")], id="corpus025-glued-thang"),
    pytest.param(q("real/transcripts/045-046_CV_1906-SGDDT-CTrTT_DaNang_26-7-2020.txt",
                   "Báo cáo công tác chuẩn bị, kiểm tra, rà soát... về Sở Giáo dục và Đào tạo trước 14 giờ 00 "
                   "ngày 29/7/2020."), None,
                 [hit("2020-07-29T14:00", "14 giờ 00 ngày 29/7/2020")], id="corpus045-time-numeric"),
    pytest.param(q("031", "- Thời gian hoàn thành: Tháng 11/2025 (sau khi Ban Thường trực Ủy ban MTTQ Việt Nam "
                          "tỉnh ban hành Hướng dẫn)."), None,
                 [hit("2025-11", "Tháng 11/2025")], id="031-month"),
    pytest.param(q("031", "- Thời gian thực hiện: Từ tháng 11/2025 đến tháng 4/2026."), None,
                 [hit("2025-11/2026-04", "tháng 11/2025 đến tháng 4/2026")], id="031-month-range"),
    pytest.param(q("031", "- Thời gian thực hiện: Từ tháng 11/2025 đến quý I/2026."), None,
                 [hit("2025-11/2026-Q1", "tháng 11/2025 đến quý I/2026")], id="031-month-to-quarter"),
    pytest.param(q("039", "được thực hiện trong khoảng từ ngày 04/02/2026 đến ngày 08/02/2026 theo quy định tại "
                          "Điều 54"), None,
                 [hit("2026-02-04/2026-02-08", "ngày 04/02/2026 đến ngày 08/02/2026")], id="039-day-range"),
    pytest.param(q("033", "- Thời gian: Dự kiến ngày 05/12/2025 (Chậm nhất ngày 10/12/2025 - 95 ngày trước bầu cử)."),
                 None, [hit("2025-12-05", "ngày 05/12/2025"), hit("2025-12-10", "ngày 10/12/2025")],
                 id="033-two-dates-not-a-range"),
    pytest.param(q("010", "Xong trong Quý II/2026"), None, [hit("2026-Q2", "Quý II/2026")], id="010-quarter"),
    # a document number holding a year is not a date; the date after it is
    pytest.param(q("031", "Căn cứ Luật Bầu cử đại biểu Quốc hội và đại biểu Hội đồng nhân dân số 85/2015/QH13, "
                          "ngày 25/6/2015"), None,
                 [hit("2015-06-25", "ngày 25/6/2015")], id="031-number-with-year"),
    # bare years and year ranges are left out (spec: dates)
    pytest.param(q("002", "- Quyết định số 225/QĐ-TTg ngày 04 tháng 02 năm 2016 của Thủ tướng Chính phủ phê duyệt "
                          "Kế hoạch cải cách hành chính nhà nước giai đoạn 2016 - 2020."), None,
                 [hit("2016-02-04", "ngày 04 tháng 02 năm 2016")], id="002-period-left-out"),
    pytest.param(q("002", "phê duyệt Kế hoạch cải cách hành chính nhà nước giai đoạn 2016 - 2020."), None, [],
                 id="002-giai-doan-nothing"),
    pytest.param(q("003", "- Đại biểu HĐND phường khóa XIX (nhiệm kỳ 2016-2021);"), None, [],
                 id="003-nhiem-ky-nothing"),
    pytest.param(q("004", "3. Báo cáo phân tích chỉ số quản trị và hành chính công năm 2019;"), None, [],
                 id="004-bare-year-nothing"),
    pytest.param(q("020", "Giấy phép vận chuyển hàng hoá nguy hiểm loại 1,2,3,4,9 (gửi kèm theo)"), None, [],
                 id="020-number-list-nothing"),
    # a recurring day ("the 20th of every month") is not a date
    pytest.param(q("052", "thực hiện gửi về Sở Công Thương trước ngày 20 hằng tháng, để tổng hợp báo cáo"), 2026, [],
                 id="052-recurring-day-nothing"),
    # constructed: no fixture has an impossible date; 31 February must not become a value
    pytest.param("ngày 31/02/2020", None, [], id="invalid-day"),
    # a colon is a time's only with its minutes ("08:00"); it was read as 01:00 o'clock
    pytest.param(q("003", "+ Đối thoại lần 1: 15/6/2020"), None, [hit("2020-06-15", "15/6/2020")],
                 id="003-ordinal-colon-not-a-time"),
    # constructed: no document here writes a time with a colon; with its minutes it stays a time
    pytest.param("lúc 08:00 ngày 26/7/2024", None, [hit("2024-07-26T08:00", "lúc 08:00 ngày 26/7/2024")],
                 id="colon-time-with-minutes"),
]


@pytest.mark.parametrize("text, default_year, expected", DATE_CASES)
def test_find_dates(text, default_year, expected):
    hits = dates.find_dates(text, default_year)
    assert [(h.value, text[h.start:h.end], h.inferred) for h in hits] == expected


@pytest.mark.parametrize("text, default_year", [c.values[:2] for c in DATE_CASES], ids=[c.id for c in DATE_CASES])
def test_find_dates_text_is_the_span(text, default_year):
    for h in dates.find_dates(text, default_year):
        assert h.text == text[h.start:h.end]


@pytest.mark.parametrize(
    "line, expected",
    [
        pytest.param(q("001", "Quận 12, ngày 27 tháng 6 năm 2024"), "2024-06-27", id="001"),
        pytest.param(q("004", "Bình Định, ngày tháng năm 2020"), "2020", id="004-blank-day-month"),
        pytest.param(q("012", "Lào Cai, ngày tháng 6 năm 2026"), "2026-06", id="012-blank-day"),
        pytest.param(q("016", "Lào Cai, ngày tháng 7 năm 2026"), "2026-07", id="016-blank-day"),
        pytest.param(q("010", "Lào Cai, ngày tháng năm 2026"), "2026", id="010-blank-day-month"),
        pytest.param(q("039", "Lương Minh, ngày 12 tháng 01 năm 2026"), "2026-01-12", id="039"),
        # layout text: the number and the date line share a line
        pytest.param(q("052", "Số: 134 /KH-UBND Lào Cai, ngày 26 tháng 3 năm 2026"), "2026-03-26", id="052-layout"),
        pytest.param(q("013", "SỐ 1050/QĐ-SCT Lào Cai, ngày 10 tháng 3 năm 2026"), "2026-03-10", id="013-layout"),
        pytest.param(q("real/transcripts/024_QD_256-2004-QD-UB_CanTho_CCHC_TCVN3.txt",
                       "TP.Cần Thơ, ngày  01 tháng  7 năm 2004"), "2004-07-01", id="corpus024-spaces"),
        pytest.param(q("001", "Độc lập - Tự do - Hạnh phúc"), None, id="001-motto-no-date"),
    ],
)
def test_parse_date_line(line, expected):
    assert dates.parse_date_line(line) == expected


# --- header -----------------------------------------------------------------------------------

HEADER_001 = q("001", """ỦY BAN NHÂN DÂN QUẬN 12 CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc

Số: 4639 /KH-UBND-NV

Quận 12, ngày 27 tháng 6 năm 2024

KẾ HOẠCH

Tổ chức Hội nghị tổng kết công tác sắp xếp khu phố
theo quy định của Trung ương trên địa bàn Quận 12

Căn cứ Luật Thực hiện dân chủ cơ sở ngày 10 tháng 11 năm 2022;
""")

HEADER_002 = q("002", """Số: 59/KH-MTTQ-BTT

Quận 5, ngày 24 tháng 8 năm 2020

KẾ HOẠCH

Phối hợp triển khai thực hiện công tác cải cách hành chính trong hệ thống Mặt trận Tổ quốc Quận 5 Năm 2020
""")

HEADER_004 = q("004", """Số: /KH-UBND

Bình Định, ngày tháng năm 2020

KẾ HOẠCH

Tổ chức Hội nghị đánh giá việc xây dựng, thực hiện quy chế dân chủ ở xã, phường, thị trấn trên địa bàn tỉnh
""")

HEADER_012 = q("012", """UBND TỈNH LÀO CAI
CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM
SỞ CÔNG THƯƠNG
Độc lập - Tự do - Hạnh phúc
Số: /KH-SCT
Lào Cai, ngày tháng 6 năm 2026

KẾ HOẠCH
""")

# layout text of a two-column header: "THEO QUYẾT ĐỊNH SỐ 1050/QĐ-SCT" belongs to the issuer
HEADER_013 = q("013", """SỞ CÔNG THƯƠNG CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
ĐOÀN KIỂM TRA Độc lập - Tự do - Hạnh Phúc
THEO QUYẾT ĐỊNH
SỐ 1050/QĐ-SCT Lào Cai, ngày 10 tháng 3 năm 2026

Số: 1105/KH-ĐKT

KẾ HOẠCH
Kiểm tra việc chấp hành Quy định pháp luật trong sử dụng và bảo quản vật
liệu nổ công nghiệp trên địa bàn tỉnh Lào Cai
""")

HEADER_016 = qs("016", """ỦY BAN NHÂN DÂN
TỈNH LÀO CAI
Số: /UBND-XD""", """CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Lào Cai, ngày tháng 7 năm 2026""", """V/v triển khai thực hiện Quyết định số
1074/QĐ-BXD ngày 29/6/2026 của Bộ
Xây dựng ban hành các giải pháp kỹ thuật
nâng cao an toàn phòng cháy, chữa cháy
đối với các cơ sở, công trình không bảo
đảm yêu cầu về phòng cháy và chữa cháy""", "Kính gửi:", sep="\n")

HEADER_031 = q("031", """ỦY BAN MTTQ VIỆT NAM
XÃ LƯƠNG MINH
BAN THƯỜNG TRỰC
Số: 16/KH-MTTQ-BTT
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Lương Minh, ngày 18 tháng 11 năm 2025

KẾ HOẠCH
""")

HEADER_052 = q("052", """ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
TỈNH LÀO CAI Độc lập - Tự do - Hạnh phúc

Số: 134 /KH-UBND Lào Cai, ngày 26 tháng 3 năm 2026

KẾ HOẠCH
""")

# a Party letter: "Số" without colon, the number in the Party form NNNN-CV/ĐU
HEADER_050 = q("real/050_CV_2449-CV-DU_LaoCai_07-9-2026_Dang_uy_trien_khai_CTr104.txt",
               """Lào Cai, ngày 07 tháng 9 năm 2026
*
Số 2449 -CV/ĐU
""")

# the Party committee of a body under the province's Party organisation: its bare "TỈNH" is the parent's
# "TỈNH LÀO CAI"; the trích yếu opens in lower case and so joins the number's line
HEADER_050_FULL = q("050", """ĐẢNG BỘ TỈNH LÀO CAI ĐẢNG CỘNG SẢN VIỆT NAM
ĐẢNG ỦY ỦY BAN NHÂN DÂN TỈNH
Lào Cai, ngày 07 tháng 9 năm 2026
*
Số 2449 -CV/ĐU
về việc triển khai thực hiện Chương trình hành động
số 104-CTr/TU ngày 30/8/2026 của Tỉnh ủy Lào Cai


Kính gửi: - Ủy ban nhân dân tỉnh,
""")

# a trích yếu over five lines, one of them opening with a capital ("Nghị định số …")
HEADER_049 = q("049", """ỦY BAN NHÂN DÂN CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM
TỈNH LÀO CAI Độc lập - Tự do - Hạnh phúc
Số: 4390 /UBND-NLN Lào Cai, ngày 27 tháng 5 năm 2026
V/v tổ chức triển khai thực hiện
Nghị định số 180/2026/NĐ-CP
ngày 21/5/2026 của Chính phủ
quy định về dịch vụ hấp thụ và
lưu giữ các-bon của rừng
Kính gửi:
""")

# the issuing body's field of activity keeps its capitals ("SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG")
HEADER_047 = q("047", """UBND TỈNH LÀO CAI CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM
SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG Độc lập - Tự do - Hạnh Phúc

Số: 5141 /SNNMT-KS Lào Cai, ngày 29 tháng 12 năm 2025
""")

# constructed from the brief: the Party form of a plan number (031 cites "Kế hoạch số 21-KH/ĐU";
# no fixture header writes one)
HEADER_PARTY_KH = "Số: 16-KH/MTTQ-BTT\n\nKẾ HOẠCH\n"


# a Quyết định names the deciding body in capitals between its trích yếu and "Căn cứ" (NĐ 30/2020)
HEADER_022 = q("022", """QUYẾT ĐỊNH
Kiểm tra việc việc chấp hành các quy định của pháp luật về lĩnh vực hóa chất trên địa bàn tỉnh Lào Cai
GIÁM ĐỐC SỞ CÔNG THƯƠNG LÀO CAI
Căn cứ Luật Hóa chất 69/2025/QH15;
""")

HEADER_040 = q("040", """QUYẾT ĐỊNH
Về việc thành lập Tổ tiếp công dân, xử lý đơn thư phục vụ bầu cử đại biểu Quốc hội khóa XVI và bầu cử đại biểu Hội đồng nhân dân các cấp
nhiệm kỳ 2026 – 2031
BAN THƯỜNG TRỰC ỦY BAN MTTQ VIỆT NAM XÃ LƯƠNG MINH
Căn cứ Luật Bầu cử đại biểu Quốc hội và đại biểu Hội đồng nhân dân số 85/2015/QH13, ngày 25/6/2015
""")

# a title set wholly in capitals keeps all its lines: no authority line follows a line in usual case
HEADER_027 = q("real/transcripts/027_QuyDinh_kem_QD_05-2006-QD-UBND_CaMau_VNI.txt", """QUY ĐỊNH
VỀ CHỨC NĂNG, NHIỆM VỤ, QUYỀN HẠN VÀ CƠ CẤU TỔ CHỨC
CỦA ĐỘI KIỂM TRA LIÊN NGÀNH 814
""")


def header_of(raw: str) -> header.Header:
    a = anatomy_of(raw)
    _, code = structure.find_type_heading(a.lines)
    return header.extract_header(a, code)


def header_field(h: header.Header, field: str):
    # the record's issuer is the full name (spec: UBND -> Ủy ban nhân dân), as assemble writes it
    return names.normalized(h.issuer) if field == "issuer" else getattr(h, field)


HEADER_CASES = [
    ("001", HEADER_001, "number", "4639/KH-UBND-NV"),
    ("001", HEADER_001, "doc_type", "KH"),
    ("001", HEADER_001, "place", "Quận 12"),
    ("001", HEADER_001, "issued_date", "2024-06-27"),
    ("001", HEADER_001, "issuer", "Ủy ban nhân dân Quận 12"),
    ("001", HEADER_001, "title",
     "Tổ chức Hội nghị tổng kết công tác sắp xếp khu phố theo quy định của Trung ương trên địa bàn Quận 12"),
    ("002", HEADER_002, "number", "59/KH-MTTQ-BTT"),
    ("002", HEADER_002, "place", "Quận 5"),
    ("002", HEADER_002, "issued_date", "2020-08-24"),
    ("002", HEADER_002, "title", "Phối hợp triển khai thực hiện công tác cải cách hành chính trong hệ thống "
                                 "Mặt trận Tổ quốc Quận 5 Năm 2020"),
    ("004", HEADER_004, "number", None),  # blank number "Số: /KH-UBND"
    ("004", HEADER_004, "doc_type", "KH"),
    ("004", HEADER_004, "place", "Bình Định"),
    ("004", HEADER_004, "issued_date", "2020"),
    ("012", HEADER_012, "number", None),
    ("012", HEADER_012, "place", "Lào Cai"),
    ("012", HEADER_012, "issued_date", "2026-06"),
    ("012", HEADER_012, "issuer", "Sở Công Thương tỉnh Lào Cai"),
    ("013", HEADER_013, "number", "1105/KH-ĐKT"),
    ("013", HEADER_013, "doc_type", "KH"),
    ("013", HEADER_013, "place", "Lào Cai"),
    ("013", HEADER_013, "issued_date", "2026-03-10"),
    # a body set up by a decision: "ĐOÀN KIỂM TRA" / "THEO QUYẾT ĐỊNH" / "SỐ 1050/QĐ-SCT" under "SỞ CÔNG THƯƠNG"
    # (it came out 'Theo quyết định Đoàn kiểm tra')
    pytest.param("013", HEADER_013, "issuer",
                 Fuzzy("Đoàn kiểm tra theo Quyết định số 1050/QĐ-SCT của Sở Công Thương tỉnh Lào Cai")),
    ("013", HEADER_013, "issuer", Contains("theo Quyết định số 1050/QĐ-SCT của Sở Công Thương")),
    ("016", HEADER_016, "doc_type", "CV"),
    ("016", HEADER_016, "number", None),
    ("016", HEADER_016, "place", "Lào Cai"),
    ("016", HEADER_016, "issued_date", "2026-07"),
    ("016", HEADER_016, "issuer", "Ủy ban nhân dân tỉnh Lào Cai"),
    ("016", HEADER_016, "title",
     "triển khai thực hiện Quyết định số 1074/QĐ-BXD ngày 29/6/2026 của Bộ Xây dựng ban hành các giải pháp kỹ "
     "thuật nâng cao an toàn phòng cháy, chữa cháy đối với các cơ sở, công trình không bảo đảm yêu cầu về phòng "
     "cháy và chữa cháy"),
    ("031", HEADER_031, "number", "16/KH-MTTQ-BTT"),
    ("031", HEADER_031, "place", "Lương Minh"),
    ("031", HEADER_031, "issued_date", "2025-11-18"),
    ("031", HEADER_031, "issuer", "Ban Thường trực Ủy ban Mặt trận Tổ quốc Việt Nam xã Lương Minh"),
    ("052", HEADER_052, "number", "134/KH-UBND"),
    ("052", HEADER_052, "place", "Lào Cai"),
    ("052", HEADER_052, "issued_date", "2026-03-26"),
    ("052", HEADER_052, "issuer", "Ủy ban nhân dân tỉnh Lào Cai"),
    ("050", HEADER_050, "number", "2449-CV/ĐU"),
    ("050", HEADER_050, "doc_type", "CV"),
    ("050", HEADER_050, "place", "Lào Cai"),
    ("050", HEADER_050, "issued_date", "2026-09-07"),
    ("050", HEADER_050_FULL, "issuer", "Đảng ủy Ủy ban nhân dân tỉnh Lào Cai"),
    ("050", HEADER_050_FULL, "title",
     "triển khai thực hiện Chương trình hành động số 104-CTr/TU ngày 30/8/2026 của Tỉnh ủy Lào Cai"),
    ("049", HEADER_049, "title", "tổ chức triển khai thực hiện Nghị định số 180/2026/NĐ-CP ngày 21/5/2026 của "
                                 "Chính phủ quy định về dịch vụ hấp thụ và lưu giữ các-bon của rừng"),
    ("047", HEADER_047, "issuer", "Sở Nông nghiệp và Môi trường tỉnh Lào Cai"),
    ("022", HEADER_022, "title", "Kiểm tra việc việc chấp hành các quy định của pháp luật về lĩnh vực hóa chất trên "
                                 "địa bàn tỉnh Lào Cai"),
    ("040", HEADER_040, "title", "Về việc thành lập Tổ tiếp công dân, xử lý đơn thư phục vụ bầu cử đại biểu Quốc hội "
                                 "khóa XVI và bầu cử đại biểu Hội đồng nhân dân các cấp nhiệm kỳ 2026 – 2031"),
    ("027", HEADER_027, "title", "VỀ CHỨC NĂNG, NHIỆM VỤ, QUYỀN HẠN VÀ CƠ CẤU TỔ CHỨC CỦA ĐỘI KIỂM TRA LIÊN NGÀNH 814"),
    ("party", HEADER_PARTY_KH, "number", "16-KH/MTTQ-BTT"),
    ("party", HEADER_PARTY_KH, "doc_type", "KH"),
]


@pytest.mark.parametrize(
    "source, raw, field, expected",
    HEADER_CASES,
    ids=[f"{c.values[0]}-{c.values[2]}" if hasattr(c, "values") else f"{c[0]}-{c[2]}" for c in HEADER_CASES],
)
def test_header(source, raw, field, expected):
    assert header_field(header_of(raw), field) == expected


@pytest.mark.parametrize(
    "number, code",
    [
        ("4639/KH-UBND-NV", "KH"),
        ("16-KH/MTTQ-BTT", "KH"),  # Party form: type code before the slash
        ("1105/KH-ĐKT", "KH"),
        ("2449-CV/ĐU", "CV"),
        ("256/2004/QĐ-UB", "QĐ"),  # a year inside the number (corpus 024)
        ("15-CTrHD/QU", "CTrHD"),
        ("104-CTr/TU", "CTr"),
        ("11-CT/TU", "CT"),
        ("34/2007/PL-UBTVQH11", "PL"),
        ("5141/SNNMT-KS", None),  # no type code: a công văn, decided elsewhere (corpus 047)
        ("7432/UBND-XD", None),
    ],
)
def test_number_code(number, code):
    assert header.number_code(number) == code


# --- citations --------------------------------------------------------------------------------


def cite(relation, doc_type, number, date, **more) -> dict:
    """Expected citation: the fields given must match; others are not looked at."""
    return dict(relation=relation, doc_type=doc_type, number=number, date=date, **more)


def project(items, expected: list[dict]) -> list[dict]:
    keys = set().union(*expected) if expected else {"doc_type", "number"}
    return [{k: getattr(c, k) for k in keys} for c in items]


def para(key: str, start: str) -> str:
    """The paragraph of fixture ``key`` that starts with ``start`` (for paragraphs too long to quote)."""
    text = extracted(key)[1].text
    found = [ln for ln in text.split("\n") if ln.startswith(start)]
    assert found, f"no paragraph starting {start!r} in fixture {key}"
    return found[0]


LEGAL_BASIS_CASES = [
    pytest.param(
        q("001", "Căn cứ Luật Thực hiện dân chủ cơ sở ngày 10 tháng 11 năm 2022;"),
        [cite("can_cu", "Luật", None, "2022-11-10", name="Luật Thực hiện dân chủ cơ sở")],
        id="001-named-law",
    ),
    pytest.param(
        q("001", "Căn cứ Thông tư số 04/2012/TT-BNV ngày 31 tháng 8 năm 2012 của Bộ trưởng Bộ Nội vụ Hướng dẫn "
                 "về tổ chức và hoạt động của thôn, Tổ dân phố;"),
        [cite("can_cu", "Thông tư", "04/2012/TT-BNV", "2012-08-31", issuer="Bộ trưởng Bộ Nội vụ",
              subject="Hướng dẫn về tổ chức và hoạt động của thôn, Tổ dân phố", name=None)],
        id="001-thong-tu",
    ),
    pytest.param(
        q("002", "Thực hiện Chương trình hành động số 15-CTrHD/QU ngày 11 tháng 7 năm 2016 của Quận ủy Quận 5 về "
                 "thực hiện Nghị quyết Đại hội Đảng toàn quốc lần thứ XII và Nghị quyết Đại hội Đảng bộ Thành phố "
                 "lần thứ X; Kế hoạch số 190/KH-UBND ngày 27 tháng 12 năm 2016 của Ủy ban nhân dân Quận 5 về thực "
                 "hiện công tác cải cách hành chính trên địa bàn Quận 5 giai đoạn 2016 - 2020,"),
        [cite("thuc_hien", "Chương trình hành động", "15-CTrHD/QU", "2016-07-11", issuer="Quận ủy Quận 5"),
         cite("thuc_hien", "Kế hoạch", "190/KH-UBND", "2016-12-27", issuer="Ủy ban nhân dân Quận 5")],
        id="002-two-documents-one-paragraph",
    ),
    pytest.param(
        q("002", "Căn cứ Kế hoạch số 135/KH-MTTQ-BTT ngày 19/3/2020 của Ban Thường trực Ủy ban Mặt trận tổ quốc "
                 "Việt Nam Thành phố về phối hợp triển khai thực hiện cải cách hành chính trong hệ thống Mặt trận Tổ "
                 "quốc Thành phố; và thực hiện chủ đề năm 2020 là “Năm đẩy mạnh hoạt động văn hóa và xây dựng nếp "
                 "sống văn minh đô thị” do UBND Thành phố triển khai;"),
        [cite("can_cu", "Kế hoạch", "135/KH-MTTQ-BTT", "2020-03-19",
              issuer="Ban Thường trực Ủy ban Mặt trận tổ quốc Việt Nam Thành phố",
              subject="phối hợp triển khai thực hiện cải cách hành chính trong hệ thống Mặt trận Tổ quốc Thành phố")],
        id="002-theme-is-not-a-document",
    ),
    pytest.param(
        q("003", "Thực hiện Kế hoạch số 28/KH-UBND ngày 18/01/2020 của UBND quận Hà Đông về công tác cải cách hành "
                 "chính năm 2020; UBND phường Kiến Hưng xây dựng kế hoạch tổ chức đối thoại giữa lãnh đạo UBND "
                 "phường với cá nhân, tổ chức về quy định hành chính, thủ tục hành chính, cụ thể như sau:"),
        [cite("thuc_hien", "Kế hoạch", "28/KH-UBND", "2020-01-18", issuer="UBND quận Hà Đông",
              subject="công tác cải cách hành chính năm 2020")],
        id="003-issuer-sentence-is-not-a-document",
    ),
    pytest.param(
        q("004", "Thực hiện Công văn số 02-CT/BCĐ ngày 17/01/2020 của Ban Chỉ đạo thực hiện quy chế dân chủ ở cơ sở "
                 "của tỉnh về Chương trình công tác năm 2020, UBND tỉnh ban hành Kế hoạch tổ chức Hội nghị đánh giá "
                 "việc xây dựng, thực hiện quy chế dân chủ ở xã, phường, thị trấn trên địa bàn tỉnh với những nội "
                 "dung cụ thể như sau:"),
        [cite("thuc_hien", "Công văn", "02-CT/BCĐ", "2020-01-17")],
        id="004-cong-van",
    ),
    pytest.param(
        q("004", "Thực hiện Công văn số 02-CT/BCĐ ngày 17/01/2020 của Ban Chỉ đạo thực hiện quy chế dân chủ ở cơ sở "
                 "của tỉnh về Chương trình công tác năm 2020, UBND tỉnh ban hành Kế hoạch tổ chức Hội nghị đánh giá "
                 "việc xây dựng, thực hiện quy chế dân chủ ở xã, phường, thị trấn trên địa bàn tỉnh với những nội "
                 "dung cụ thể như sau:"),
        [cite("thuc_hien", "Công văn", "02-CT/BCĐ", "2020-01-17",
              issuer="Ban Chỉ đạo thực hiện quy chế dân chủ ở cơ sở của tỉnh",
              subject="Chương trình công tác năm 2020")],
        # the issuer is named by its mission ("Ban Chỉ đạo thực hiện …"); the subject ends before the citing
        # document's own sentence (", UBND tỉnh ban hành Kế hoạch …")
        id="004-issuer-and-subject",
    ),
    pytest.param(
        q("012", "Căn cứ Quyết định 1883/QĐ-UBND ngày 06/11/2025 của UBND tỉnh Lào Cai về việc Ủy quyền cho Giám "
                 "đốc Sở Công Thương"),
        [cite("can_cu", "Quyết định", "1883/QĐ-UBND", "2025-11-06", issuer="UBND tỉnh Lào Cai")],
        id="012-number-without-so",
    ),
    pytest.param(
        q("012", "Căn cứ Luật Quản lý, sử dụng vũ khí, vật liệu nổ và công cụ hỗ trợ ngày 26/8/2024;"),
        [cite("can_cu", "Luật", None, "2024-08-26",
              name="Luật Quản lý, sử dụng vũ khí, vật liệu nổ và công cụ hỗ trợ")],
        id="012-named-law-with-commas",
    ),
    pytest.param(
        q("035", "Căn cứ Luật Bầu cử đại biểu Quốc hội và đại biểu Hội đồng nhân dân; Luật Mặt trận Tổ quốc Việt "
                 "Nam; Căn cứ Kế hoạch số 04/KH-MTTQ-BTT ngày 04/12/2025"),
        [cite("can_cu", "Luật", None, None, name="Luật Bầu cử đại biểu Quốc hội và đại biểu Hội đồng nhân dân"),
         cite("can_cu", "Luật", None, None, name="Luật Mặt trận Tổ quốc Việt Nam"),
         cite("can_cu", "Kế hoạch", "04/KH-MTTQ-BTT", "2025-12-04", name=None)],
        id="035-two-unnumbered-laws",
    ),
    pytest.param(
        q("040", "Căn cứ Luật Bầu cử đại biểu Quốc hội và đại biểu Hội đồng nhân dân số 85/2015/QH13, ngày 25/6/2015 "
                 "và được sửa đổi, bổ sung bởi Luật số 83/2025/QH15; Luật Mặt trận Tổ quốc Việt Nam số 75/2015/QH13 "
                 "được sửa đổi bổ sung bởi Luật số 97/2025/QH15;"),
        # the amendment note is no subject; the amending laws are cited on their own
        [cite("can_cu", "Luật", "85/2015/QH13", "2015-06-25", subject=None,
              name="Luật Bầu cử đại biểu Quốc hội và đại biểu Hội đồng nhân dân"),
         cite("can_cu", "Luật", "75/2015/QH13", None, subject=None, name="Luật Mặt trận Tổ quốc Việt Nam"),
         cite("can_cu", "Luật", "83/2025/QH15", None, subject=None, name=None),
         cite("can_cu", "Luật", "97/2025/QH15", None, subject=None, name=None)],
        id="040-amended-by-is-no-subject",
    ),
    pytest.param(
        q("022", "Căn cứ Nghị định số 71/2019/NĐ-CP ngày 30/8/2019 của Chính phủ quy định về xử phạt vi phạm hành "
                 "chính trong lĩnh vực hóa chất và vật liệu nổ công nghiệp được sửa đổi bổ sung tại Nghị định "
                 "17/2022/NĐ-CP ngày 31/01/2022 của Chính phủ;"),
        [cite("can_cu", "Nghị định", "71/2019/NĐ-CP", "2019-08-30", issuer="Chính phủ",
              subject="quy định về xử phạt vi phạm hành chính trong lĩnh vực hóa chất và vật liệu nổ công nghiệp"),
         cite("can_cu", "Nghị định", "17/2022/NĐ-CP", "2022-01-31", issuer="Chính phủ", subject=None)],
        id="022-subject-ends-before-amendment",
    ),
    pytest.param(
        q("022", "Căn cứ Luật Hóa chất 69/2025/QH15;"),
        [cite("can_cu", "Luật", "69/2025/QH15", None, name="Luật Hóa chất")],
        id="022-law-number-without-so",
    ),
    pytest.param(
        # a document named inside a subject is no list of documents: the subject keeps it
        q("022", "Căn cứ Thông tư số 01/2026/TT-BCT ngày 17/01/2026 của Bộ trưởng Bộ Công Thương quy định chi tiết "
                 "và hướng dẫn thi hành một số điều của Luật Hóa chất và Nghị định số 26/2026/NĐ-CP của Chính phủ "
                 "quy định chi tiết"),
        [cite("can_cu", "Thông tư", "01/2026/TT-BCT", "2026-01-17", issuer="Bộ trưởng Bộ Công Thương",
              subject="quy định chi tiết và hướng dẫn thi hành một số điều của Luật Hóa chất và Nghị định số "
                      "26/2026/NĐ-CP của Chính phủ quy định chi tiết"),
         cite("can_cu", "Nghị định", "26/2026/NĐ-CP", None, issuer="Chính phủ", subject="quy định chi tiết")],
        id="022-document-inside-a-subject",
    ),
    pytest.param(
        q("049", "Thực hiện Nghị định số 180/2026/NĐ-CP ngày 21/5/2026 của Chính phủ quy định về dịch vụ hấp thụ và "
                 "lưu giữ các-bon của rừng (gửi kèm theo). Chủ tịch Ủy ban nhân dân tỉnh giao:"),
        [cite("thuc_hien", "Nghị định", "180/2026/NĐ-CP", "2026-05-21", issuer="Chính phủ",
              subject="quy định về dịch vụ hấp thụ và lưu giữ các-bon của rừng")],
        id="049-sentence-end-and-attachment-note",
    ),
]


@pytest.mark.parametrize("paragraph, expected", LEGAL_BASIS_CASES)
def test_legal_bases(paragraph, expected):
    got = citations.legal_bases(lines_of(paragraph))
    assert project(got, expected) == expected


def test_legal_bases_document_inside_a_subject_is_not_cited_twice():
    """001 cites 04/2012/TT-BNV, then two circulars amending it; one item per cited document."""
    preamble = "\n\n".join(para("001", f"Căn cứ Thông tư số {n}") for n in ("04/2012", "14/2018", "05/2022"))
    got = citations.legal_bases(lines_of(preamble))
    assert [c.number for c in got] == ["04/2012/TT-BNV", "14/2018/TT-BNV", "05/2022/TT-BNV"]
    assert [(c.date, c.issuer) for c in got][1] == ("2018-12-03", "Bộ Nội vụ")


def test_legal_bases_named_laws_with_numbers():
    """031: laws cited by name and number, and the amending laws after them ("tại Luật số …")."""
    got = citations.legal_bases(lines_of(para("031", "Căn cứ Luật Bầu cử")))
    first = got[0]
    assert (first.number, first.name, first.date) == (
        "85/2015/QH13", "Luật Bầu cử đại biểu Quốc hội và đại biểu Hội đồng nhân dân", "2015-06-25")
    # the gold record's eight documents, in any order
    assert sorted(c.number for c in got) == sorted([
        "85/2015/QH13", "83/2025/QH15", "75/2015/QH13", "97/2025/QH15", "46-CT/TW", "06/KH-MTTW-BTT",
        "33/KH-MTTQ-BTT", "21-KH/ĐU"])
    assert {c.relation for c in got} == {"can_cu"}


@pytest.mark.parametrize(
    "text, own_number, expected",
    [
        pytest.param(
            q("002", "3. Tổ chức các hoạt động giám sát theo Quyết định số 217-QĐ/TW của Bộ Chính trị, Chỉ thị số "
                     "19-CT/TU và Quy định số 1374-QĐ/TU của Ban Thường vụ Thành ủy:"),
            None,
            [("Quyết định", "217-QĐ/TW"), ("Chỉ thị", "19-CT/TU"), ("Quy định", "1374-QĐ/TU")],
            id="002-three-in-a-heading",
        ),
        pytest.param(
            q("013", "(Kèm theo Kế hoạch số 1105 /KH-ĐKT ngày10 /3/2026 của Đoàn kiểm tra theo Quyết định số "
                     "1050/QĐ-SCT)"),
            "1105/KH-ĐKT",
            [("Quyết định", "1050/QĐ-SCT")],
            id="013-own-number-is-not-a-reference",
        ),
        pytest.param(
            q("048", "2. Giao Sở Nông nghiệp và Môi trường chủ trì, phối hợp với các cơ quan, đơn vị, địa phương xây "
                     "dựng dự thảo Kế hoạch thực hiện Chương trình hành động số 104-CTr/Tu của Ủy ban nhân dân tỉnh, "
                     "bảo đảm đúng quy định của pháp luật"),
            None,
            [("Chương trình hành động", "104-CTr/Tu", "Ủy ban nhân dân tỉnh")],
            id="048-issuer-ends-at-comma",
        ),
    ],
)
def test_references(text, own_number, expected):
    got = citations.references(lines_of(text), own_number)
    assert [(c.doc_type, c.number, c.issuer)[:len(e)] for c, e in zip(got, expected)] == expected
    assert len(got) == len(expected)


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param(
            q("real/019_CV_UBND-KT_LaoCai_2025_giao_SCT_tham_muu_truoc_15-9-2025.docx",
              "quy định tại Nghị định số 181/2024/NĐCP ngày 31/12/2024 và Nghị định số 146/2025/NĐ-CP ngày "
              "12/6/2025 của Chính phủ; Chủ tịch UBND tỉnh có ý kiến chỉ đạo như sau:"),
            [("181/2024/NĐCP", "2024-12-31", "Chính phủ", None), ("146/2025/NĐ-CP", "2025-06-12", "Chính phủ", None)],
            id="019-two-decrees-one-issuer",
        ),
        pytest.param(
            qs("047", "theo văn bản số 1085/SNNMT-KS ngày 19/8/2025, văn bản số 4611/SNNMT-KS",
               "ngày 12/12/2025 của Sở Nông nghiệp và Môi trường.", sep="\n"),
            [("1085/SNNMT-KS", "2025-08-19", "Sở Nông nghiệp và Môi trường", None),
             ("4611/SNNMT-KS", "2025-12-12", "Sở Nông nghiệp và Môi trường", None)],
            id="047-comma-list",
        ),
    ],
)
def test_references_listed_together_share_their_issuer(text, expected):
    """Documents listed together ("A ngày … và B ngày … của Chính phủ"): the next one is not the subject of the
    one before, and the issuer after the last belongs to each."""
    got = citations.references(lines_of(" ".join(text.split())), None)  # 047's list is wrapped over two lines
    assert [(c.number, c.date, c.issuer, c.subject) for c in got] == expected


@pytest.mark.parametrize(
    "a, b",
    [
        ("4639 /KH-UBND-NV", "4639/KH-UBND-NV"),  # 001 writes a space before the slash
        ("135/KH-MTTQ-BTT", "135/kh-mttq-btt"),
        ("1105 /KH-ĐKT", "1105/KH-ĐKT"),
        ("34/2007/PL-UBTVQH11", " 34/2007/PL-UBTVQH11 "),
        (unicodedata.normalize("NFD", "08-QĐi/TW"), "08-QĐi/TW"),
    ],
)
def test_number_key_ignores_case_and_spaces(a, b):
    assert citations.number_key(a) == citations.number_key(b)


@pytest.mark.parametrize(
    "a, b",
    [("4639/KH-UBND-NV", "4639/KH-UBND"), ("15-CTrHD/QU", "15-CTr/QU"), ("16/KH-MTTQ-BTT", "16-KH/MTTQ-BTT")],
)
def test_number_key_keeps_documents_apart(a, b):
    assert citations.number_key(a) != citations.number_key(b)


# --- body: deadlines --------------------------------------------------------------------------


def deadline(date, text, recurrence=None, inferred=False) -> tuple:
    return (date, text, recurrence, inferred)


DEADLINE_CASES = [
    pytest.param(
        q("004", "UBND huyện Tuy Phước, thị xã Hoài Nhơn, thành phố Quy Nhơn chỉ đạo, hướng dẫn thị trấn Diêu Trì, "
                 "xã Hoài Châu Bắc, phường Ngô Mây xây dựng báo cáo kết quả triển khai điển hình thực hiện quy chế "
                 "dân chủ và gửi báo cáo về Ban Dân vận Tỉnh ủy, Sở Nội vụ trước ngày **15/7/2020**."),
        None, [deadline("2020-07-15", "trước ngày 15/7/2020")], id="004-truoc-ngay",
    ),
    pytest.param(
        q("001", "Thời gian gửi báo cáo tham luận về Ủy ban nhân dân quận (thông qua phòng Nội vụ) trước ngày 10 "
                 "tháng 7 năm 2024."),
        None, [deadline("2024-07-10", "trước ngày 10 tháng 7 năm 2024")], id="001-word-date",
    ),
    pytest.param(
        q("002", "gửi về Ban Thường trực Ủy ban Mặt trận Tổ quốc Việt Nam Quận (qua Bộ phận Dân chủ - Pháp luật) "
                 "trước ngày 20 tháng 11."),
        2020, [deadline("2020-11-20", "trước ngày 20 tháng 11", inferred=True)], id="002-year-inferred",
    ),
    pytest.param(
        q("031", "(1) Tổ chức hiệp thương lần thứ nhất: Chậm nhất ngày 10/12/2025 (trước ngày bầu cử 95 ngày theo "
                 "Điều 39, Điều 50 Luật số 85/2015/QH13 về Bầu cử đại biểu Quốc hội và đại biểu Hội đồng nhân dân)."),
        None, [deadline("2025-12-10", "Chậm nhất ngày 10/12/2025")], id="031-cham-nhat",
    ),
    pytest.param(
        q("033", "- Thời gian: Dự kiến ngày 05/12/2025 (Chậm nhất ngày 10/12/2025 - 95 ngày trước bầu cử)."),
        None, [deadline("2025-12-10", "Chậm nhất ngày 10/12/2025")], id="033-planned-date-is-not-a-deadline",
    ),
    pytest.param(
        q("010", "kịp thời phát hiện, xử lý nghiêm và xử lý dứt điểm các hành vi khai thác khoáng sản bằng tàu cuốc "
                 "trên sông, suối, hồ xong trong quý II năm 2026."),
        None, [deadline("2026-Q2", "xong trong quý II năm 2026")], id="010-xong-trong-quarter",
    ),
    pytest.param(q("010", "Xong trong Quý II/2026"), None, [deadline("2026-Q2", "Xong trong Quý II/2026")],
                 id="010-table-cell-quarter"),
    pytest.param(q("010", "Xong trong tháng 5/2026"), None, [deadline("2026-05", "Xong trong tháng 5/2026")],
                 id="010-table-cell-month"),
    pytest.param(
        q("010", "- Các Sở, ngành, địa phương định kỳ hàng năm (trước ngày 10/12) hoặc đột xuất báo cáo Ủy ban nhân "
                 "dân tỉnh (qua Sở Nông nghiệp và Môi trường) về tình hình, kết quả triển khai thực hiện Kế hoạch "
                 "này."),
        2026, [deadline("2026-12-10", "trước ngày 10/12", inferred=True)], id="010-numeric-no-year",
    ),
    pytest.param(
        q("031", "- Thời gian hoàn thành: Tháng 11/2025 (sau khi Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh ban hành "
                 "Hướng dẫn)."),
        None, [deadline("2025-11", Contains("Tháng 11/2025"))], id="031-hoan-thanh-month",
    ),
    pytest.param(
        q("real/transcripts/045-046_CV_1906-SGDDT-CTrTT_DaNang_26-7-2020.txt",
          "Báo cáo công tác chuẩn bị, kiểm tra, rà soát... về Sở Giáo dục và Đào tạo trước 14 giờ 00 ngày 29/7/2020."),
        None, [deadline("2020-07-29T14:00", "trước 14 giờ 00 ngày 29/7/2020")], id="corpus045-clock-time",
    ),
    pytest.param(
        q("020", "2265/BCT-ATMT ngày 02/4/2026 và báo cáo Uỷ ban nhân dân tỉnh trước ngày\n15/4/2026."),
        None, [deadline("2026-04-15", "trước ngày 15/4/2026")], id="020-broken-over-a-line",
    ),
    # a yearly deadline in the year after the reporting year: the letter is of 29/12/2025
    pytest.param(
        q("047", "thác): Được lập và nộp trước ngày 15 tháng 02 của năm liền kề sau năm báo cáo,"),
        2025, [deadline("2026-02-15", "trước ngày 15 tháng 02 của năm liền kề sau năm báo cáo", "hằng năm",
                        inferred=True)], id="047-year-after",
    ),
    # a recurring deadline has no date, only its recurrence
    pytest.param(
        q("052", "thực hiện gửi về Sở Công Thương trước ngày 20 hằng tháng, để tổng hợp báo cáo"),
        2026, [deadline(None, "trước ngày 20 hằng tháng", Contains("hằng tháng"))], id="052-recurring",
    ),
]


@pytest.mark.parametrize("text, default_year, expected", DEADLINE_CASES)
def test_deadlines(text, default_year, expected):
    got = body.deadlines(lines_of(text), default_year)
    assert [(d.date, d.text, d.recurrence, d.inferred) for d in got] == expected


# --- body: assignments ------------------------------------------------------------------------


def assignment(assignee, *, request=False, role="responsible", coordinators=ANY, tasks=ANY) -> dict:
    return dict(assignee=assignee, request=request, role=role, coordinators=coordinators, tasks=tasks)


def assignments_of(raw: str) -> list[dict]:
    return [dict(assignee=a.assignee, request=a.request, role=a.role, coordinators=a.coordinators,
                 tasks=[t[0] for t in a.tasks]) for a in body.assignments(anatomy_of(raw))]


ASSIGNMENT_CASES = [
    pytest.param(
        qs("004", "IV. TỔ CHỨC THỰC HIỆN",
                 "2. Đề nghị Ban Dân vận Tỉnh ủy chủ trì, phối hợp với UBND các huyện, thị xã, thành phố báo cáo kết "
                 "quả thực hiện mô hình điểm thực hiện dân chủ tại các xã, phường, thị trấn."),
        [assignment("Ban Dân vận Tỉnh ủy", request=True, role="lead",
                    coordinators=["UBND các huyện, thị xã, thành phố"], tasks=Len(1))],
        id="004-request-lead",
    ),
    pytest.param(
        qs("004", "IV. TỔ CHỨC THỰC HIỆN",
                 "1. Sở Nội vụ\n\n"
                 "a) Chủ trì, phối hợp với các sở, ngành liên quan báo cáo phân tích chỉ số quản trị và hành chính "
                 "công năm 2019; kết quả kiểm tra việc thực hiện dân chủ tại các xã, phường, thị trấn thuộc phạm vi "
                 "khảo sát; báo cáo kết quả việc xây dựng, thực hiện quy chế dân chủ ở xã, phường, thị trấn trên địa "
                 "bàn tỉnh 6 tháng đầu năm 2020.\n\n"
                 "b) Phối hợp với Ban Dân vận Tỉnh ủy, Văn phòng UBND tỉnh, Sở Tài chính chuẩn bị nội dung, tài liệu, "
                 "kinh phí và các điều kiện để tổ chức hội nghị (kinh phí tổ chức Hội nghị do ngân sách tỉnh đảm bảo "
                 "theo quy định)."),
        [assignment("Sở Nội vụ", role="lead",
                    coordinators=["các sở, ngành liên quan", "Ban Dân vận Tỉnh ủy", "Văn phòng UBND tỉnh",
                                  "Sở Tài chính"],
                    tasks=Len(2))],
        id="004-lettered-tasks",
    ),
    pytest.param(
        qs("002", "III. TỔ CHỨC THỰC HIỆN",
                 "1. Ban Thường trực Ủy ban Mặt trận Tổ quốc Việt Nam quận, phân công Bộ phận Dân chủ - Pháp luật:\n\n"
                 "- Tham mưu Kế hoạch phối hợp triển khai thực hiện công tác cải cách hành chính trong hệ thống Mặt "
                 "trận Tổ quốc quận năm 2020.\n\n"
                 "- Theo dõi, đôn đốc, kiểm tra việc phối hợp tổ chức thực hiện của Mặt trận Tổ quốc 15 phường."),
        [assignment("Bộ phận Dân chủ - Pháp luật", coordinators=[], tasks=[
            "Tham mưu Kế hoạch phối hợp triển khai thực hiện công tác cải cách hành chính trong hệ thống Mặt trận "
            "Tổ quốc quận năm 2020",
            "Theo dõi, đôn đốc, kiểm tra việc phối hợp tổ chức thực hiện của Mặt trận Tổ quốc 15 phường"])],
        id="002-delegated-unit",
    ),
    pytest.param(
        qs("002", "III. TỔ CHỨC THỰC HIỆN",
                 "3. Đề nghị Ban Thường trực Ủy ban MTTQ Việt Nam 15 phường:\n\n"
                 "- Căn cứ tình hình thực tế tại đơn vị, chủ động phối hợp xây dựng kế hoạch triển khai thực hiện, "
                 "đồng thời có báo cáo kết quả thực hiện gửi về Ban Thường trực Ủy ban Mặt trận Tổ quốc Việt Nam "
                 "Quận (qua Bộ phận Dân chủ - Pháp luật) trước ngày 20 tháng 11."),
        [assignment("Ban Thường trực Ủy ban MTTQ Việt Nam 15 phường", request=True, tasks=Len(1))],
        id="002-request-with-colon",
    ),
    pytest.param(
        qs("001", "III. PHÂN CÔNG THỰC HIỆN",
                 "4. Các đơn vị được chọn báo cáo tham luận chuẩn bị bài phát biểu tham luận khoảng 07 phút, đồng "
                 "thời xây dựng hình ảnh minh họa. Thời gian gửi báo cáo tham luận về Ủy ban nhân dân quận (thông qua "
                 "phòng Nội vụ) trước ngày 10 tháng 7 năm 2024."),
        [assignment("Các đơn vị được chọn báo cáo tham luận",
                    tasks=[Contains("Chuẩn bị bài phát biểu tham luận khoảng 07 phút")])],
        id="001-run-on-item",
    ),
    pytest.param(
        qs("003", "IV. TỔ CHỨC THỰC HIỆN:",
                 "3. Bộ phận Tài chính – Kế hoạch: Tham mưu kinh phí tổ chức đối thoại theo quy định.\n"
                 "4. Đề nghị UB MTTQ và các đoàn thể\n"
                 "- Phối hợp phát phiếu cho cán bộ, hội viên và hướng dẫn lấy ý kiến theo nội dung mẫu phiếu và thu "
                 "về gửi Văn phòng UBND phường tổng hợp."),
        [assignment("Bộ phận Tài chính – Kế hoạch", tasks=["Tham mưu kinh phí tổ chức đối thoại theo quy định"]),
         assignment("UB MTTQ và các đoàn thể", request=True, tasks=Len(1))],
        id="003-inline-task-and-request",
    ),
    pytest.param(
        q("012", "III. TỔ CHỨC THỰC HIỆN\n"
                 "1. Giao phòng Quản lý công nghiệp tổ chức huấn luyện, kiểm tra kỹ thuật an toàn cho các đối tượng "
                 "liên quan đến hoạt động VLNCN phù hợp với nội dung kiểm tra quy định tại Điều 9, Nghị định số "
                 "181/2024/NĐ-CP ngày 31/12/2024 của Chính phủ."),
        [assignment(Fuzzy("Phòng Quản lý công nghiệp"), tasks=Len(1))],
        id="012-giao-unit-with-verb-in-name",
    ),
    pytest.param(
        q("018", "9. Các tổ chức, cá nhân được cấp giấy phép thăm dò, khai thác khoáng sản có trách nhiệm bảo vệ "
                 "khoáng sản trong diện tích được cấp giấy phép và đồng thời có trách nhiệm bảo vệ khoáng sản chưa "
                 "khai thác gần khu vực được cấp phép theo quy định."),
        # after "Các" the word "tổ chức" is the noun (organisations), not the verb that opens a task
        [assignment("Các tổ chức, cá nhân được cấp giấy phép thăm dò, khai thác khoáng sản",
                    tasks=[Contains("Có trách nhiệm bảo vệ khoáng sản trong diện tích được cấp giấy phép")])],
        id="018-noun-after-cac",
    ),
    pytest.param(
        q("018", "8. Các Sở, ban, ngành thuộc tỉnh theo chức năng, nhiệm vụ, lĩnh vực được giao chủ động tổ chức "
                 "triển khai thực hiện các nhiệm vụ; có trách nhiệm hướng dẫn, phối hợp UBND các xã, phường trong "
                 "công tác quản lý, bảo vệ tài nguyên khoáng sản trên địa bàn"),
        # "theo chức năng, nhiệm vụ" opens the task, as gold 016 writes it ("Theo chức năng, nhiệm vụ, phạm vi
        # quản lý tổ chức tuyên truyền …")
        [assignment("Các Sở, ban, ngành thuộc tỉnh",
                    tasks=[Contains("Theo chức năng, nhiệm vụ, lĩnh vực được giao chủ động tổ chức")])],
        id="018-theo-chuc-nang-opens-the-task",
    ),
    pytest.param(
        qs("022", "Điều 2: Thành lập Đoàn kiểm tra, gồm các ông/bà sau đây:",
                  "1. Ông: Hoàng Văn Thuân - Phó Giám đốc Sở Công Thương, Trưởng đoàn;\n"
                  "2. Bà: Nguyễn Hồng Vân - Phó trưởng phòng Quản lý công nghiệp, Sở Công Thương, Phó Trưởng đoàn;",
                  sep="\n"),
        # members of a team set up by a Quyết định, without tasks: no assignment (was assignee "Ông", "Bà")
        [],
        id="022-team-members-are-not-assignees",
    ),
    pytest.param(
        qs("040", "3. Ông Triệu Tài Thông - Chuyên viên Ủy ban MTTQ Việt Nam xã - Phó Chủ tịch Hội Nông dân xã - "
                  "Thành viên.",
                  "Điều 2. Nhiệm vụ của Tổ tiếp công dân, xử lý khiếu nại, tố cáo, kiến nghị, phản ánh của công dân:",
                  "- Thực hiện các nhiệm vụ khác do Ban Thường trực Ủy ban Mặt trận Tổ quốc Việt Nam xã giao.",
                  sep="\n"),
        # "Điều 2." ends item 3 of Điều 1: its bullets are no tasks of the member listed last
        [],
        id="040-article-ends-the-item",
    ),
    pytest.param(
        q("013", "4. Phân công nhiệm vụ\n4.1. Ông. Hoàng Văn Thuân - Trưởng đoàn: Phụ trách chung; chỉ đạo toàn\n"
                 "diện hoạt động của Đoàn; chủ trì các buổi làm việc; ký các văn bản thuộc thẩm\nquyền của Đoàn;"),
        # a member with a task is an assignee, as gold 013 writes it
        [assignment("Ông. Hoàng Văn Thuân - Trưởng đoàn", role=ANY, tasks=[Contains("Phụ trách chung")])],
        id="013-member-with-a-task",
    ),
    pytest.param(
        qs("023", "Thực hiện chức năng, nhiệm vụ được giao, Sở Công Thương yêu cầu các đơn vị sản xuất, kinh doanh, sử "
                  "dụng, bảo quản hóa chất trên địa bàn tỉnh Lào Cai chưa thực hiện báo cáo trên hệ thống cơ sở dữ liệu "
                  "chuyên ngành hóa chất khẩn trương thực hiện báo cáo trên hệ thống trước ngày 08 tháng 4 năm 2026.",
                  "Sở Công Thương yêu cầu các đơn vị nghiêm túc thực hiện./.", sep="\n"),
        # a công văn without numbered items: the order after an opening clause is an assignment ("chưa thực hiện
        # báo cáo …" is a clause of the unit's name); the closing exhortation that ends with "./." is none
        [assignment("Các đơn vị sản xuất, kinh doanh, sử dụng, bảo quản hóa chất trên địa bàn tỉnh Lào Cai chưa "
                    "thực hiện báo cáo trên hệ thống cơ sở dữ liệu chuyên ngành hóa chất",
                    tasks=["Khẩn trương thực hiện báo cáo trên hệ thống trước ngày 08 tháng 4 năm 2026"])],
        id="023-order-after-an-opening-clause",
    ),
    pytest.param(
        q("047", "1. Yêu cầu đối với các tổ chức, cá nhân được cấp giấy phép khai thác,\nthu hồi khoáng sản.\n"
                 "1.1. Triển khai, thực hiện đúng và đầy đủ các quy định của Luật Địa chất và"),
        # "Yêu cầu đối với X" addresses the item to X (it gave no assignee)
        [assignment("Các tổ chức, cá nhân được cấp giấy phép khai thác, thu hồi khoáng sản", tasks=Len(1))],
        id="047-addressed-with-doi-voi",
    ),
    pytest.param(
        q("real/transcripts/045-046_CV_1906-SGDDT-CTrTT_DaNang_26-7-2020.txt",
          "4. Đối với các trường đại học ngoài công lập\nTheo dõi chặt chẽ tình hình cán bộ, giảng viên, sinh viên "
          "ngoại tỉnh; kiểm tra, giám sát chặt chẽ các hoạt động của sinh viên; khuyến cáo sinh viên thực hiện "
          "nghiêm túc các quy định về phòng, chống dịch."),
        [assignment("Các trường đại học ngoài công lập", tasks=[Contains("Theo dõi chặt chẽ tình hình cán bộ")])],
        id="045-addressed-with-doi-voi",
    ),
    pytest.param(
        q("real/transcripts/045-046_CV_1906-SGDDT-CTrTT_DaNang_26-7-2020.txt",
          "3. Đối với công tác tổ chức thi tốt nghiệp trung học phổ thông năm 2020"),
        # "Đối với" a matter, not a unit: no assignee
        [],
        id="045-doi-voi-a-matter",
    ),
    pytest.param(
        qs("022", "Căn cứ Nghị định số 217/2025/NĐ-CP ngày 05/8/2025 của Chính phủ quy định về hoạt động kiểm tra "
                  "chuyên ngành;",
                  "Điều 5: Chánh Văn phòng Sở, Trưởng phòng Quản lý công nghiệp, cá nhân có liên quan và các ông/bà có "
                  "tên tại Điều 2 chịu trách nhiệm thi hành Quyết định này.", sep="\n"),
        # the last article of a Quyết định names who carries it out (NĐ 30/2020)
        [assignment("Chánh Văn phòng Sở, Trưởng phòng Quản lý công nghiệp, cá nhân có liên quan và các ông/bà có tên "
                    "tại Điều 2", coordinators=[], tasks=["Chịu trách nhiệm thi hành Quyết định này"])],
        id="022-execution-clause",
    ),
    pytest.param(
        qs("040", "Theo đề nghị của bộ phận chuyên môn cơ quan Ủy ban Mặt trận Tổ quốc Việt Nam xã Lương Minh.",
                  "Điều 3. Ban Thường trực Ủy ban MTTQ xã, các bộ phận chuyên môn thuộc Cơ quan Ủy ban Mặt trận Tổ quốc "
                  "Việt Nam xã và các ông (bà) có tên tại Điều 1 chịu trách nhiệm thi hành Quyết định này", sep="\n"),
        [assignment("Ban Thường trực Ủy ban MTTQ xã, các bộ phận chuyên môn thuộc Cơ quan Ủy ban Mặt trận Tổ quốc Việt "
                    "Nam xã và các ông (bà) có tên tại Điều 1", coordinators=[],
                    tasks=["Chịu trách nhiệm thi hành Quyết định này"])],
        id="040-execution-clause",
    ),
]


def test_own_mandate_is_no_legal_basis_023():
    """023 'Thực hiện chức năng, nhiệm vụ được giao, Sở Công Thương yêu cầu … trước ngày 08 tháng 4 năm 2026': an
    order, not a preamble line: its date is a deadline (it came out with role 'basis' and no deadline)."""
    record, _ = extracted("023")
    assert [d.role for d in record.dates if d.value == "2026-04-08"] == ["deadline"]
    assert [(d.date, d.assignees) for d in record.deadlines if d.date == "2026-04-08"] == [
        ("2026-04-08", [Contains("Các đơn vị sản xuất, kinh doanh, sử dụng, bảo quản hóa chất")])]
    assert [c.number for c in record.legal_bases] == ["194/HC-CNHC"]


@pytest.mark.parametrize("raw, expected", ASSIGNMENT_CASES)
def test_assignments(raw, expected):
    assert assignments_of(raw) == expected


def test_assignment_units_after_an_order_verb_018():
    """018 "11. Chủ tịch UBND tỉnh yêu cầu Thủ trưởng các Sở, …, Chủ tịch UBND các xã, phường và các tổ chức, cá
    nhân có liên quan … nghiêm túc thực hiện": the units after "yêu cầu" carry the item (it gave no assignment)."""
    record, _ = extracted("018")
    got = [a for a in record.assignments if a.assignee.startswith("Thủ trưởng")]
    assert [(a.assignee, a.request, a.tasks[0][:22]) for a in got] == [(
        "Thủ trưởng các Sở, ban, ngành của tỉnh, Chủ tịch UBND các xã, phường và các tổ chức, cá nhân có liên quan "
        "đến hoạt động khoáng sản trên địa bàn tỉnh", False, "Nghiêm túc thực hiện. ")]


def test_assignment_unit_ends_before_a_task_verb_and_giao_inside_an_item_050():
    """050 "1. Ủy ban nhân dân tỉnh, chỉ đạo các cơ quan, đơn vị có liên quan:" names 'Ủy ban nhân dân tỉnh' (the
    comma before a task verb ends the unit); "Giao Ban xây dựng đảng Đảng ủy chủ trì, hướng dẫn …", a paragraph of
    item 2, is an assignment of its own (it was lost)."""
    record, _ = extracted("050")
    got = {a.assignee: a for a in record.assignments}
    assert got["Ủy ban nhân dân tỉnh"].tasks[0] == "Chỉ đạo các cơ quan, đơn vị có liên quan"
    assert len(got["Ủy ban nhân dân tỉnh"].tasks) == 3
    ban = got["Ban xây dựng đảng Đảng ủy"]
    assert (ban.role, ban.tasks[0][:38]) == ("lead", "Chủ trì, hướng dẫn các cấp ủy, tổ chức")
    assert not any("Giao Ban" in t for a in record.assignments for t in a.tasks)
    # the letter's closing request after it is no part of its task
    assert "Đề nghị Ủy ban nhân dân tỉnh" not in ban.tasks[0]


def test_assignment_sub_items_are_the_tasks_047():
    """047 item 1 has sub-items 1.1-1.8, each with its own a)/b)/- list: one task per sub-item, its list inside it
    (every list line was a task of its own: 47 tasks)."""
    record, _ = extracted("047")
    (item,) = [a for a in record.assignments if a.assignee.startswith("Các tổ chức, cá nhân được cấp giấy phép")]
    assert len(item.tasks) == 8
    assert item.tasks[0].startswith("Triển khai, thực hiện đúng và đầy đủ các quy định của Luật Địa chất")
    assert item.tasks[2].startswith("Về việc thống kê trữ lượng, khối lượng khoáng sản") and "Khoản 1 Điều 59" in item.tasks[2]


def test_assignment_head_naming_a_task_031():
    """031 "3. Tổ chức theo dõi, tổng hợp, kiểm tra, giám sát công tác bầu cử …" names a task ("tổ chức theo dõi",
    genre.json agency_head_exclusions), not the unit "Tổ chức" (which carried its work items' field lines
    "Thời gian thực hiện: …", "Đơn vị chủ trì: …" as tasks)."""
    record, _ = extracted("031")
    assert "Tổ chức" not in [a.assignee for a in record.assignments]
    assert not any(t.startswith("Đơn vị chủ trì:") for a in record.assignments for t in a.tasks)


def test_work_item_fields_are_not_merged_into_a_sub_item():
    """A work item's own fields under a numbered sub-item (031 "5.2. …" / "- Thời gian thực hiện: …") are fields,
    not a list of the sub-item's task (sub-items 1.1 … with lists, 047)."""
    raw = qs("031", "II. NỘI DUNG", "1. Ban Thường trực Ủy ban MTTQ Việt Nam xã",
             "5.1. Ban hành kế hoạch tuyên truyền bầu cử, tập hợp dư luận xã hội",
             "- Thời gian hoàn thành: Quý IV/2025.", sep="\n")
    ln = [x for x in lines_of(raw) if x.text.startswith("- Thời gian")][0]
    assert worklist.is_work_field(ln)


def test_assignment_answerable_units_under_an_implementation_heading_016():
    """016 "3. Tổ chức thực hiện" / "Thủ trưởng các sở, ban, ngành, đoàn thể tỉnh; Chủ tịch Ủy ban nhân dân các xã,
    phường; người đứng đầu các cơ quan, đơn vị có liên quan chịu trách nhiệm tổ chức triển khai …": an assignment,
    as gold 016 has it (it was missed)."""
    record, _ = extracted("016")
    got = [a for a in record.assignments if a.assignee.startswith("Thủ trưởng")]
    assert [(a.assignee, a.role, a.tasks[0][:40]) for a in got] == [(
        "Thủ trưởng các sở, ban, ngành, đoàn thể tỉnh; Chủ tịch Ủy ban nhân dân các xã, phường; người đứng đầu các "
        "cơ quan, đơn vị có liên quan", "responsible", "Chịu trách nhiệm tổ chức triển khai thực")]


def test_assignment_unit_named_after_a_verb_016():
    """016 "2. Giao Sở Xây dựng": 'xây dựng' is a task verb, but here it is the name of the Sở."""
    record, _ = extracted("016")
    assert "Sở Xây dựng" in [a.assignee for a in record.assignments]


def test_assignment_giao_with_coordinators_020():
    """020: "Giao Sở Công Thương chủ trì, phối hợp với các cơ quan, đơn vị, địa phương triển khai …"."""
    record, _ = extracted("020")
    (a,) = record.assignments
    assert (a.assignee, a.role, a.request) == ("Sở Công Thương", "lead", False)


def test_assignment_coordinators_one_unit_020():
    """A comma before a small letter with a diacritic ("đơn vị", "địa phương") stays inside one unit (it was
    split: the range À-Ỹ holds small letters too)."""
    record, _ = extracted("020")
    (a,) = record.assignments
    assert a.coordinators == ["các cơ quan, đơn vị, địa phương"]


# --- closing: recipients and signer ----------------------------------------------------------

CLOSING_001 = q("001", """Nơi nhận:

- Đ/c Nguyễn Phước Lộc - Phó Bí thư Thành ủy;
- Thường trực UBND Thành phố;
- VP. TU, VP. HĐND, VP.UBND Thành phố;
- Thường trực Quận ủy;
- UBND quận (CT, các PCT/UBND quận);
- Các cơ quan tham mưu giúp việc Quận ủy,
Văn phòng Quận ủy;
- Các phòng, ban, ngành, trung tâm, công ty thuộc quận;
- UB. MTTQ VN và các tổ chức chính trị - xã hội quận;
- Đảng ủy - UBND - UB. MTTQ VN 11 phường;
- Lưu: VT, NV.



CHỦ TỊCH

Nguyễn Văn Đức""")

CLOSING_002 = q("002", """Nơi nhận:

- BTT. UBMTTQTP;
- Ông Nguyễn Thành Trung - PCT.TT.UBMTTQTP;
- Ông Vũ Mạnh Hải - UVTT, TB DT-TG UBMTTQTP, phụ trách Quận 5;
- Ông Lý Ngọc Thạch - UVTT, TB DC-PL UBMTTQTP;
- Bà Hoàng Mai Quỳnh Hoa - UVTT, CVP UBMTTQTP;
- Bà Nhân Thùy Dung - CV Ban DT-TG, Thư ký Cụm thi đua 1;
- TT QU, UBND Q5;
- Ban, ngành đoàn thể Q5;
- BTT. UBMTTQ Quận 5;
- ĐU - UBND - BTT.UBMTTQ 15 phường;
- Lưu.

TM. BAN THƯỜNG TRỰC
PHÓ CHỦ TỊCH



Trần Nam Đức""")

CLOSING_004 = q("004", """Nơi nhận:

- Thường trực Tỉnh ủy;
- CT, các PCT UBND tỉnh;
- Ban Dân vận Tỉnh ủy;
- Sở Nội vụ;
- Sở Tài chính;
- LĐVP UBND tỉnh;
- UBND các huyện, TX, TP;
- Phòng Nội vụ các huyện, TX, TP;
- Lưu: VT, K12.

**KT. CHỦ TỊCH
PHÓ CHỦ TỊCH**

Nguyễn Tuấn Thanh""")

# the plan is signed on behalf of the committee by a vice-chair: both TM. and KT. lines
CLOSING_010 = q("010", """Nơi nhận:
- Bộ Nông nghiệp và Môi trường (để báo cáo);
- Thường trực Tỉnh ủy (để báo cáo);
- Thường trực HĐND tỉnh (để báo cáo);
- Chủ tịch, các PCT UBND tỉnh;
- Ủy ban MTTQ Việt Nam tỉnh;
- Cục Địa chất và Khoáng sản Việt Nam;
- Các Sở, ban, ngành;
- UBND các xã, phường;
- CVP, các PCVP UBND tỉnh;
- Các chuyên viên TMTH;
- Lưu: VT, KT.
TM. ỦY BAN NHÂN DÂN
KT. CHỦ TỊCH
PHÓ CHỦ TỊCH
Nguyễn Thành Sinh""")

# layout text: the signature column runs into the recipients column
CLOSING_013 = q("013", """Nơi nhận: T/M. ĐOÀN KIỂM TRA
- Giám đốc Sở (để báo cáo và phê duyệt);
- Văn phòng Sở (Bố trí kinh phí, phương TRƯỞNG ĐOÀN
tiện Phục vụ Đoàn kiểm tra);
- Thành viên Đoàn (để thực hiện);
- Các đơn vị được kiểm tra (để phối hợp);
- Lưu: VT, CN(M. Cường).

Hoàng Văn Thuân
PHÓ GIÁM ĐỐC
SỞ CÔNG THƯƠNG LÀO CAI""")

CLOSING_052 = q("052", """Nơi nhận: TM. ỦY BAN NHÂN DÂN
- Như Điều 3; KT. CHỦ TỊCH
- TT. Tỉnh uỷ, HĐND tỉnh; PHÓ CHỦ TỊCH
- Chủ tịch và các PCT UBND tỉnh;
- Các sở, ban, ngành thuộc UBND tỉnh;
- Các cơ quan TW đóng trên địa bàn tỉnh;
- Liên minh HTX tỉnh;
- Trung tâm XTĐT, TM&DL tỉnh;
- UBND các xã, phường;
- Hiệp hội Doanh nghiệp tỉnh;
- Báo và PT, TH tỉnh; Cổng TTĐT tỉnh;
- Lãnh đạo VPUBND tỉnh; Nguyễn Thế Phước
- Lưu: VT, TH (Thắng), KT (Long).""")


# layout text, the signature column beside the recipients: a position alone between two recipient lines
CLOSING_047 = q("047", """Nơi nhận: KT. GIÁM ĐỐC
- Như trên;
- UBND tỉnh (b/c);
PHÓ GIÁM ĐỐC
- UBND các xã, phường (p/h);
- Lãnh đạo Sở;
- Lưu: VT, QLĐĐ, CCMT, KS.

Phạm Năng Chung""")

# "T/M" with a slash and no dot; the title glued after "(t/h);"
CLOSING_050 = q("050", """Nơi nhận: T/M BAN THƯỜNG VỤ
- Như trên (t/h); PHÓ BÍ THƯ
- Thường trực Tỉnh ủy (để b/c);
- Thường trực Đảng ủy (để b/c);
- Lãnh đạo Văn phòng UBND tỉnh;
- Lãnh đạo Văn phòng Đảng ủy;
- Lưu Văn phòng Đảng ủy.

Nguyễn Hữu Long""")

# the signer's name glued after a recipient that runs over three lines
CLOSING_051 = q("051", """Nơi nhận: TM. ỦY BAN NHÂN DÂN
- UBND tỉnh Lào Cai (B/c); CHỦ TỊCH
- Sở Công Thương;
- TT Đảng uỷ, HĐND;
- Lãnh đạo UBND phường;
- Ủy ban MTTQ Việt Nam phường;
- Các phòng: Kinh tế, Hạ tầng; Văn hóa - Xã hội
(đăng tải trên cổng thông tin điện tử phường);
- Trung tâm Dịch vụ tổng hợp phường (đăng tải
thông báo này trên các phương tiện thông tin truyền
thông của địa phương); Nguyễn Xuân Nhẫn
- Lưu: VT, KTHT.""")

def closing_of(raw: str) -> tuple[list[closing.RecipientItem], closing.SignerInfo | None]:
    a = anatomy_of(raw)
    recipients = closing.recipients(a)
    return recipients, closing.signer(a, recipients)


RECIPIENT_CASES = [
    pytest.param(CLOSING_001, [
        "Đ/c Nguyễn Phước Lộc - Phó Bí thư Thành ủy", "Thường trực UBND Thành phố",
        "VP. TU, VP. HĐND, VP.UBND Thành phố", "Thường trực Quận ủy", "UBND quận (CT, các PCT/UBND quận)",
        # one recipient broken over two lines is one item
        "Các cơ quan tham mưu giúp việc Quận ủy, Văn phòng Quận ủy",
        "Các phòng, ban, ngành, trung tâm, công ty thuộc quận",
        "UB. MTTQ VN và các tổ chức chính trị - xã hội quận", "Đảng ủy - UBND - UB. MTTQ VN 11 phường",
    ], id="001-multi-line-item"),
    pytest.param(CLOSING_002, [
        "BTT. UBMTTQTP", "Ông Nguyễn Thành Trung - PCT.TT.UBMTTQTP",
        "Ông Vũ Mạnh Hải - UVTT, TB DT-TG UBMTTQTP, phụ trách Quận 5", "Ông Lý Ngọc Thạch - UVTT, TB DC-PL UBMTTQTP",
        "Bà Hoàng Mai Quỳnh Hoa - UVTT, CVP UBMTTQTP", "Bà Nhân Thùy Dung - CV Ban DT-TG, Thư ký Cụm thi đua 1",
        "TT QU, UBND Q5", "Ban, ngành đoàn thể Q5", "BTT. UBMTTQ Quận 5", "ĐU - UBND - BTT.UBMTTQ 15 phường",
    ], id="002-bare-luu"),
    pytest.param(CLOSING_004, [
        "Thường trực Tỉnh ủy", "CT, các PCT UBND tỉnh", "Ban Dân vận Tỉnh ủy", "Sở Nội vụ", "Sở Tài chính",
        "LĐVP UBND tỉnh", "UBND các huyện, TX, TP", "Phòng Nội vụ các huyện, TX, TP",
    ], id="004"),
    pytest.param(CLOSING_013, [
        "Giám đốc Sở (để báo cáo và phê duyệt)",
        "Văn phòng Sở (Bố trí kinh phí, phương tiện Phục vụ Đoàn kiểm tra)",
        "Thành viên Đoàn (để thực hiện)", "Các đơn vị được kiểm tra (để phối hợp)",
    ],
        id="013-layout"),
    pytest.param(CLOSING_052, [
        "Như Điều 3", "TT. Tỉnh uỷ, HĐND tỉnh", "Chủ tịch và các PCT UBND tỉnh",
        "Các sở, ban, ngành thuộc UBND tỉnh", "Các cơ quan TW đóng trên địa bàn tỉnh", "Liên minh HTX tỉnh",
        "Trung tâm XTĐT, TM&DL tỉnh", "UBND các xã, phường", "Hiệp hội Doanh nghiệp tỉnh",
        "Báo và PT, TH tỉnh; Cổng TTĐT tỉnh", "Lãnh đạo VPUBND tỉnh",
    ],
        id="052-layout"),
    pytest.param(CLOSING_047, ["Như trên", "UBND tỉnh (b/c)", "UBND các xã, phường (p/h)", "Lãnh đạo Sở"],
                 id="047-layout"),
    pytest.param(CLOSING_050, ["Như trên (t/h)", "Thường trực Tỉnh ủy (để b/c)", "Thường trực Đảng ủy (để b/c)",
                               "Lãnh đạo Văn phòng UBND tỉnh", "Lãnh đạo Văn phòng Đảng ủy"], id="050-layout"),
    pytest.param(CLOSING_051, [
        "UBND tỉnh Lào Cai (B/c)", "Sở Công Thương", "TT Đảng uỷ, HĐND", "Lãnh đạo UBND phường",
        "Ủy ban MTTQ Việt Nam phường",
        "Các phòng: Kinh tế, Hạ tầng; Văn hóa - Xã hội (đăng tải trên cổng thông tin điện tử phường)",
        "Trung tâm Dịch vụ tổng hợp phường (đăng tải thông báo này trên các phương tiện thông tin truyền thông "
        "của địa phương)"], id="051-layout"),
]


@pytest.mark.parametrize("raw, expected", RECIPIENT_CASES)
def test_recipients(raw, expected):
    recipients, _ = closing_of(raw)
    assert [r.name for r in recipients] == expected


@pytest.mark.parametrize("raw", [CLOSING_001, CLOSING_002, CLOSING_004, CLOSING_010], ids=["001", "002", "004", "010"])
def test_recipients_leave_out_the_archive_line(raw):
    recipients, _ = closing_of(raw)
    assert recipients and not any(re.match(r"(?i)lưu\b", r.name) for r in recipients)


SIGNER_CASES = [
    ("001", CLOSING_001, "name", "Nguyễn Văn Đức"),
    ("001", CLOSING_001, "position", "Chủ tịch"),
    ("001", CLOSING_001, "authority", None),
    ("001", CLOSING_001, "on_behalf_of", None),
    ("002", CLOSING_002, "name", "Trần Nam Đức"),
    ("002", CLOSING_002, "authority", "TM"),
    ("002", CLOSING_002, "on_behalf_of", "Ban Thường trực"),
    pytest.param("002", CLOSING_002, "position", "Phó Chủ tịch"),
    ("004", CLOSING_004, "name", "Nguyễn Tuấn Thanh"),
    ("004", CLOSING_004, "authority", "KT"),
    ("004", CLOSING_004, "on_behalf_of", "Chủ tịch"),
    pytest.param("004", CLOSING_004, "position", "Phó Chủ tịch"),
    ("010", CLOSING_010, "name", "Nguyễn Thành Sinh"),
    pytest.param("010", CLOSING_010, "authority", "KT"),
    pytest.param("010", CLOSING_010, "on_behalf_of", "Chủ tịch"),
    pytest.param("010", CLOSING_010, "position", "Phó Chủ tịch"),
    pytest.param("013", CLOSING_013, "name", "Hoàng Văn Thuân"),
    pytest.param("013", CLOSING_013, "authority", "TM"),
    pytest.param("052", CLOSING_052, "name", "Nguyễn Thế Phước"),
    pytest.param("052", CLOSING_052, "authority", "KT"),
    ("052", CLOSING_052, "position", "Phó Chủ tịch"),
    ("047", CLOSING_047, "name", "Phạm Năng Chung"),
    ("047", CLOSING_047, "authority", "KT"),
    ("047", CLOSING_047, "on_behalf_of", "Giám đốc"),
    ("047", CLOSING_047, "position", "Phó Giám đốc"),
    ("050", CLOSING_050, "name", "Nguyễn Hữu Long"),
    ("050", CLOSING_050, "authority", "TM"),
    ("050", CLOSING_050, "position", "Phó Bí thư"),
    ("051", CLOSING_051, "name", "Nguyễn Xuân Nhẫn"),
    ("051", CLOSING_051, "position", "Chủ tịch"),
    ("051", CLOSING_051, "on_behalf_of", "Ủy ban nhân dân"),
]


@pytest.mark.parametrize(
    "source, raw, field, expected",
    SIGNER_CASES,
    ids=[f"{c.values[0]}-{c.values[2]}" if hasattr(c, "values") else f"{c[0]}-{c[2]}" for c in SIGNER_CASES],
)
def test_signer(source, raw, field, expected):
    _, signer = closing_of(raw)
    assert signer is not None, "no signer found"
    assert getattr(signer, field) == expected


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "upper, expected",
    [
        pytest.param(q("001", "ỦY BAN NHÂN DÂN QUẬN 12"), "Ủy ban nhân dân Quận 12", id="001"),
        pytest.param(q("010", "ỦY BAN NHÂN DÂN TỈNH LÀO CAI"), "Ủy ban nhân dân tỉnh Lào Cai", id="010"),
        pytest.param(q("012", "SỞ CÔNG THƯƠNG"), "Sở Công Thương", id="012"),
        pytest.param(q("031", "BAN THƯỜNG TRỰC"), "Ban Thường trực", id="031-ban"),
        # abbreviations stay in capitals
        pytest.param(q("031", "ỦY BAN MTTQ VIỆT NAM"), "Ủy ban MTTQ Việt Nam", id="031-abbreviation"),
        pytest.param(q("012", "UBND TỈNH LÀO CAI"), "UBND tỉnh Lào Cai", id="012-abbreviation"),
        pytest.param(q("001", "CHỦ TỊCH"), "Chủ tịch", id="001-position"),
        # text not in capitals is returned as is
        pytest.param(q("002", "Ban Thường trực Ủy ban Mặt trận Tổ quốc Việt Nam quận"),
                     "Ban Thường trực Ủy ban Mặt trận Tổ quốc Việt Nam quận", id="002-as-is"),
        pytest.param(q("001", "QUẬN ỦY - ỦY BAN NHÂN DÂN - ỦY BAN MTTQ VIỆT NAM QUẬN 12"),
                     "Quận ủy - Ủy ban nhân dân - Ủy ban MTTQ Việt Nam Quận 12", id="001-three-bodies"),
        # the field of a body's name keeps its capital (047's header: "SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG")
        pytest.param(q("047", "SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG"), "Sở Nông nghiệp và Môi trường", id="047-field"),
    ],
)
def test_display_case(upper, expected):
    assert names.display_case(upper) == expected


@pytest.mark.parametrize(
    "name, expected",
    [
        pytest.param(q("004", "UBND các huyện, TX, TP"), "Ủy ban nhân dân các huyện, thị xã, thành phố", id="004"),
        pytest.param(q("004", "Văn phòng UBND tỉnh"), "Văn phòng Ủy ban nhân dân tỉnh", id="004-inside"),
        pytest.param(q("001", "UB. MTTQ VN và các tổ chức chính trị - xã hội quận"),
                     "Ủy ban Mặt trận Tổ quốc Việt Nam và các tổ chức chính trị - xã hội quận", id="001-dotted"),
        pytest.param(q("002", "BTT. UBMTTQ Quận 5"), "Ban Thường trực Ủy ban Mặt trận Tổ quốc Quận 5", id="002-btt"),
        pytest.param(q("010", "Thường trực HĐND tỉnh"), "Thường trực Hội đồng nhân dân tỉnh", id="010-hdnd"),
        pytest.param(q("031", "ỦY BAN MTTQ VIỆT NAM"), "Ủy ban Mặt trận Tổ quốc Việt Nam", id="031-capitals"),
        pytest.param(None, None, id="none"),
        pytest.param("", None, id="empty"),
        pytest.param(q("031", "Uỷ ban Kiểm tra Đảng uỷ, Ban xây dựng Đảng, VP Đảng uỷ"),
                     "Ủy ban Kiểm tra Đảng ủy, Ban xây dựng Đảng, Văn phòng Đảng ủy",
                     id="031-tone-placement"),
    ],
)
def test_normalized(name, expected):
    assert names.normalized(name) == expected


# --- events of the seeds (whole records, against gold) -----------------------------------------


@pytest.mark.parametrize(
    "key, expected",
    [
        ("001", [("2024-07-26T08:00", None, "Hội trường 1, trụ sở hành chính Quận 12", 350, None)]),
        ("003", [("2020-06-15", None, "Hội trường UBND phường Kiến Hưng", None, "6 tháng/lần"),
                 ("2020-12-15", None, "Hội trường UBND phường Kiến Hưng", None, "6 tháng/lần")]),
        ("004", [("2020-Q3", None, "Thành phố Quy Nhơn", 80, None)]),
    ],
)
def test_seed_events(key, expected):
    record, _ = extracted(key)
    got = [(e.start, e.end, e.location, e.expected_attendees, e.recurrence) for e in record.events]
    assert got == expected


# --- a date line left blank for the digital signature stamp (016, 020) -------------------------------

@pytest.mark.parametrize("key, line, expected", [
    # gold 016: "ngày   tháng 7 năm 2026"; signed by the Vice-Chairman on the 20th, stamped by the office on the 21st
    ("016", "2026-07", "2026-07-21"),
    # gold 020: "ngày   tháng   năm 2026"; signed and stamped on 6 April
    ("020", "2026", "2026-04-06"),
])
def test_blank_date_line_takes_the_signature_date(key, line, expected):
    record, source = extracted(key)
    assert source.signed and source.signed[-1] == expected
    assert record.issued_date == expected
    # the blank line itself stays out of the date mentions
    assert line not in [d.value for d in record.dates if d.role == "issued"]


@pytest.mark.parametrize("partial, signed, expected", [
    ("2026-07", ["2026-07-20", "2026-07-21"], "2026-07-21"),
    ("2026", ["2026-04-06"], "2026-04-06"),
    ("2026-07", ["2026-08-02"], None),  # stamped in another month: not this line's day
    ("2026-07", ["2026-07-20", "2026-09-01"], "2026-07-20"),  # a later copy's signature is skipped
    ("2026-07-21", ["2026-07-22"], None),  # the day is written: the line wins
    ("2026-07", [], None),
    (None, ["2026-07-21"], None),
])
def test_date_from_signatures(partial, signed, expected):
    assert header.date_from_signatures(partial, signed) == expected


def test_unsigned_files_have_no_signature_dates():
    _, source = extracted("013")
    assert source.signed == []


# --- events in a schedule table written as layout text (013, Phụ lục I) -----------------------------

TABLE_013 = q("013", """          Tên đơn vị được                                                                        Thời gian công bố     Thời hạn
  TT                                                Đối tượng kiểm tra
             kiểm tra                                                                            Quyết định kiểm tra   kiểm tra
                            Gói thầu số 13: Thi công công trình nối Quốc lộ 32 với cao tốc Nội
        Công ty cổ phần xây Bài - Lào Cai (IC14) đoạn thi công từ Km0 - Km2+571 và khu tái
   1     dựng giao thông    định cư 1, phường Trung Tâm và xã Liên Sơn, tỉnh Lào Cai                 23/3/2026         02 ngày
             Yên Bái        Gói thầu số 14: Thi công công trình đường kết nối Mường La (Sơn
                            La), Than Uyên, Tân Uyên (Lai Châu), Mù Cang Chải, tỉnh Lào Cai""")


def test_schedule_table_rows_are_events_013():
    """Gold 013: one inspection visit per row of Phụ lục I, dated by its 'Thời gian công bố' column."""
    record, source = extracted("013")
    assert [e.start for e in record.events] == ["2026-03-23", "2025-03-25", "2025-03-27"]
    assert [source.text[e.span[0]:e.span[1]] for e in record.events] == ["23/3/2026", "25/3/2025", "27/3/2025"]
    assert all(e.name.startswith("Kế hoạch kiểm tra") for e in record.events)


@pytest.mark.parametrize("raw, starts", [
    pytest.param(TABLE_013, ["2026-03-23"], id="013-row"),
    # constructed from 013: the same rows under a deadline column are an assignment table, not a schedule
    pytest.param(TABLE_013.replace("Thời gian công bố", "Thời hạn hoàn thành"), [], id="deadline-column"),
    # constructed from 013: without a 'TT' column the numbers are not row numbers
    pytest.param(TABLE_013.replace("  TT  ", "      "), [], id="no-row-numbers"),
])
def test_schedule_table_rows(raw, starts):
    a = anatomy_of(raw)
    assert [e.start for e in body.events(a, a.lines, None, 2026)] == starts


def test_unit_head_words_beyond_offices_049():
    """049 item 3 'Vườn quốc gia Hoàng Liên, các Công ty Lâm nghiệp chủ động nghiên cứu …' names assignees
    (a national park is a unit: genre.json agency_heads); in item 2 'theo chức năng nhiệm vụ' opens the task."""
    record, _ = extracted("049")
    assert [a.assignee for a in record.assignments] == [
        "Sở Nông nghiệp và Môi trường", "Các sở, ban, ngành cấp tỉnh",
        "Vườn quốc gia Hoàng Liên, các Công ty Lâm nghiệp", "Ủy ban nhân dân các xã, phường"]


def test_participant_lead_ins_035():
    """035 '- Thành phần đoàn: Trưởng đoàn là X; thành viên gồm Y …': X chairs, the lead-ins are not names."""
    record, _ = extracted("035")
    got = [(p.name, p.role) for p in record.participants]
    assert got[:2] == [("Đại diện Lãnh đạo Ban Thường trực UBMTTQ xã", "chair"),
                       ("Đại diện các tổ chức thành viên (Đoàn Thanh niên, Hội Phụ nữ, Hội Nông dân...)", None)]


# --- whole-record invariants on every fixture --------------------------------------------------

FIXTURE_KEYS = [p.name.split("_")[0] for p in FIXTURE_FILES]
PAGED_FORMATS = {"pdf"}


def items_of(obj, path: str = ""):
    """(path, Item) for every item with provenance in a record, depth first."""
    if isinstance(obj, Item):
        yield path, obj
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from items_of(getattr(obj, name), f"{path}.{name}" if path else name)
    elif isinstance(obj, list):
        for i, x in enumerate(obj):
            yield from items_of(x, f"{path}[{i}]")


def spans_of(record: PlanRecord):
    """(path, span) for every span a record holds: items, issuer/title, task spans."""
    for path, item in items_of(record):
        yield path, item.span
    yield "issuer_span", record.issuer_span
    yield "title_span", record.title_span
    for i, a in enumerate(record.assignments):
        for j, sp in enumerate(a.task_spans):
            yield f"assignments[{i}].task_spans[{j}]", sp


def collapse(s: str) -> str:
    return " ".join(s.split())


@pytest.mark.parametrize("key", FIXTURE_KEYS)
def test_spans_lie_inside_the_text(key):
    record, source = extracted(key)
    text = source.text
    bad = []
    for path, span in spans_of(record):
        if span is None:
            if path not in ("issuer_span", "title_span"):
                bad.append(f"{path}: no span")
            continue
        start, end = span
        if not (0 <= start < end <= len(text)) or not text[start:end].strip():
            bad.append(f"{path}: span {span} is outside the text or blank")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("key", FIXTURE_KEYS)
def test_item_text_is_what_its_span_covers(key):
    """A date mention, deadline or citation's ``text`` is the text under its span (whitespace aside)."""
    record, source = extracted(key)
    bad = []
    for field in ("dates", "deadlines", "legal_bases", "references"):
        for i, item in enumerate(getattr(record, field)):
            covered = collapse(source.text[item.span[0]:item.span[1]])
            if collapse(item.text) not in covered:
                bad.append(f"{field}[{i}]: {item.text!r} not in {covered[:120]!r}")
    assert not bad, "\n".join(bad)


def date_numbers(value: str, inferred: bool) -> list[int]:
    """The numbers a date's source text must show: year (unless lent), month, day, hour."""
    out = []
    for end in value.split("/"):
        m = re.match(r"(\d{4})(?:-(\d\d)(?:-(\d\d)(?:T(\d\d):\d\d)?)?)?", end)
        year, month, day, hour = m.groups()
        if not inferred:
            out.append(int(year))
        out += [int(x) for x in (month, day, hour) if x is not None]
    return out


@pytest.mark.parametrize("key", FIXTURE_KEYS)
def test_date_spans_show_the_dates_digits(key):
    record, source = extracted(key)
    bad = []
    for i, d in enumerate(record.dates):
        covered = source.text[d.span[0]:d.span[1]]
        shown = {int(x) for x in re.findall(r"\d+", covered)}
        missing = [n for n in date_numbers(d.value, d.inferred) if n not in shown]
        # a quarter or half-year shows its year (its number may be a roman numeral)
        if missing:
            bad.append(f"dates[{i}] {d.value}: {missing} not in {covered!r}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("key", FIXTURE_KEYS)
def test_dates_are_at_least_month_precise(key):
    """Spec: bare years and year ranges are left out of ``dates``."""
    record, _ = extracted(key)
    rx = re.compile(r"\d{4}-(?:\d\d(?:-\d\d(?:T\d\d:\d\d)?)?|Q[1-4]|H[12])$")
    assert [d.value for d in record.dates if not all(rx.match(v) for v in d.value.split("/"))] == []


@pytest.mark.parametrize("key", FIXTURE_KEYS)
def test_pages(key):
    """Paged sources give every item its page (1-based, the page its span starts on); others give none."""
    record, source = extracted(key)
    paged = record.source.format in PAGED_FORMATS
    bad = []
    for path, item in items_of(record):
        if paged:
            expected = source.page_at(item.span[0]) if item.span else None
            if item.page is None or not 1 <= item.page <= (record.source.pages or 0) or item.page != expected:
                bad.append(f"{path}: page {item.page}, span starts on page {expected}")
        elif item.page is not None:
            bad.append(f"{path}: page {item.page} in a {record.source.format} source without pages")
    assert not bad, "\n".join(bad)
    if paged:
        assert record.source.pages and record.source.pages >= 1


def test_the_pdf_fixtures_are_paged():
    # the page test above is only worth something if some fixture has pages
    assert {extracted(k)[0].source.format for k in FIXTURE_KEYS} >= {"pdf", "docx", "txt"}


def string_values(obj, path: str = ""):
    if isinstance(obj, str):
        yield path, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from string_values(v, f"{path}.{k}" if path else k)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from string_values(v, f"{path}[{i}]")


@pytest.mark.parametrize("key", FIXTURE_KEYS)
def test_values_are_clean(key):
    """Spec "Values": NFC, whitespace collapsed, no markdown or bookmarks, no trailing ';' or '.'."""
    record, _ = extracted(key)
    data = record.to_json_dict()
    data.pop("source")  # file metadata, not extracted text
    bad = []
    for path, v in string_values(data):
        problems = [
            name for name, broken in [
                ("not NFC", v != unicodedata.normalize("NFC", v)),
                ("spaces", v != collapse(v)),
                ("markdown", "**" in v),
                ("bookmark", "[bookmark:" in v),
                ("trailing ; or .", v.endswith(";") or (v.endswith(".") and not v.endswith("..."))),
            ] if broken
        ]
        if problems:
            bad.append(f"{path}: {', '.join(problems)}: {v[-60:]!r}")
    assert not bad, "\n".join(bad)


# The record's top level: the spec's fields, plus what the schema adds (named here, so that a
# new key is a decision, not an accident).
SPEC_FIELDS = {
    "doc_type", "number", "issuer", "place", "issued_date", "title", "signer", "legal_bases", "references",
    "events", "participants", "assignments", "deadlines", "recipients", "dates",
}
SCHEMA_EXTRAS = {"issuer_normalized", "issuer_span", "title_span", "source", "schema_version"}
PROVENANCE = {"span", "page"}
ITEM_FIELDS = {
    "signer": ({"name", "position", "authority", "on_behalf_of"}, set()),
    "legal_bases": ({"relation", "doc_type", "number", "date", "issuer", "subject", "name", "text"},
                    {"issuer_normalized", "key"}),
    "references": ({"relation", "doc_type", "number", "date", "issuer", "subject", "name", "text"},
                   {"issuer_normalized", "key"}),
    "events": ({"name", "start", "end", "location", "expected_attendees", "recurrence"}, set()),
    "participants": ({"name", "count", "role"}, {"name_normalized"}),
    "assignments": ({"assignee", "role", "request", "coordinators", "tasks", "deadline"},
                    {"assignee_normalized", "coordinators_normalized", "task_spans"}),
    "deadlines": ({"date", "text", "assignees", "task"}, {"inferred", "recurrence"}),
    "recipients": ({"name"}, {"name_normalized"}),
    "dates": ({"text", "value", "role"}, {"inferred"}),
}


@pytest.mark.parametrize("key", FIXTURE_KEYS)
def test_record_json_shape(key):
    record, _ = extracted(key)
    data = record.to_json_dict()
    assert set(data) == SPEC_FIELDS | SCHEMA_EXTRAS
    for field, (spec, extras) in ITEM_FIELDS.items():
        value = data[field]
        for item in value if isinstance(value, list) else [value] if value else []:
            assert set(item) == spec | extras | PROVENANCE, field
    assert PlanRecord.model_validate(data) == record  # the JSON reads back as the same record


@pytest.mark.parametrize("key", FIXTURE_KEYS)
def test_closed_vocabularies(key):
    """Fields with a closed set of values in the spec hold only those."""
    record, _ = extracted(key)
    if record.signer:
        assert record.signer.authority in (None, "KT", "TM", "TL", "TUQ")
    assert {c.relation for c in record.legal_bases} <= {"can_cu", "thuc_hien", "xet"}
    assert {a.role for a in record.assignments} <= {"lead", "responsible", "coordinate"}
    assert {p.role for p in record.participants} <= {None, "chair"}


# --- every quote is real (keep last: the tables above register their quotes) -----------------


@lru_cache(maxsize=None)
def source_text(source: str) -> str | None:
    if re.fullmatch(r"\d{3}", source):
        return collapse(extracted(source)[1].text)
    path = CORPUS / source
    if not path.is_file():
        return None
    if path.suffix.lower() not in (".txt", ".md"):  # a .docx/.pdf of the corpus: its text as read
        return collapse(process_file(path)[1].text)
    return collapse(source_from_text(path.read_text(encoding="utf-8")).text)


@pytest.mark.parametrize("source, text", QUOTES, ids=[f"{s.split('/')[-1][:3]}-{i}" for i, (s, _) in enumerate(QUOTES)])
def test_quotes_are_real(source, text):
    whole = source_text(source)
    if whole is None:
        pytest.skip(f"corpus file {source} not present beside the repository")
    assert collapse(normalized(text)) in whole


# --- the pipeline over many documents -------------------------------------------------------------


def test_pipeline_is_renewed_when_its_vocabulary_outgrows_the_bound(monkeypatch):
    """A worker extracting an archive: every new word form stays in spaCy's vocabulary, so the pipeline
    is built anew past MAX_VOCAB entries. Records do not change, and the vocabulary stays near the bound."""
    from kehoach.extract import extract_record, pipeline
    from kehoach.ingest import read_document

    paths = sorted((FIXTURES / "real").glob("*.txt"))[:3] + sorted((FIXTURES / "seeds").glob("*.txt"))[:2]
    sources = [read_document(p) for p in paths]
    pipeline.get_nlp.cache_clear()
    plain = [extract_record(s).model_dump() for s in sources]
    grown = len(pipeline.get_nlp().vocab)

    pipeline.get_nlp.cache_clear()
    bound = len(pipeline.get_nlp().vocab) + 100
    monkeypatch.setattr(pipeline, "MAX_VOCAB", bound)
    most_new = max(len(s.text.split()) for s in sources)  # a document adds at most its tokens
    built = set()
    renewed = []
    for s in sources:
        renewed.append(extract_record(s).model_dump())
        built.add(id(pipeline.get_nlp()))
        assert len(pipeline.get_nlp().vocab) <= bound + most_new
    assert renewed == plain
    assert grown > bound and len(built) > 1  # it was renewed on the way
    pipeline.get_nlp.cache_clear()

"""Scanned pages around OCR: skew, ruled tables read cell by cell, the scan's own resolution.

Fixtures are cut from real scans of ../shared/corpus/real: 009's page 4 (the
end of its schedule table, scanned at 240 dpi) and 002's page 2 (a form
scanned crooked, rendered at 150 dpi).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from kehoach.extract import extract_record
from kehoach.ingest import read_document, systools
from kehoach.ingest import ocr, scanpage

FORMATS = Path(__file__).parent / "fixtures" / "formats"
TABLE_009 = FORMATS / "009_KH_753-KH-DCT_scan_p4_table.jpg"
CROOKED_002 = FORMATS / "002_CV_275_scan_p2_crooked.jpg"
JPG_045 = FORMATS / "045_CV_1906-SGDDT-CTrTT_DaNang_26-7-2020_page1.jpg"
PDF_042 = FORMATS / "042_CV_SGDDT-CTrTT_DaNang_scan_badOCRlayer_p1.pdf"

needs_ocr = pytest.mark.skipif(not systools.tesseract_has("vie"),
                               reason="Tesseract with vie not installed (make sysdeps)")


# ---- skew ------------------------------------------------------------------------------------

def test_crooked_scan_is_measured_crooked():
    # 002 page 2: the form lies about 5 degrees askew (its lines rise to the right)
    angle = scanpage.estimate_skew(Image.open(CROOKED_002))
    assert -7.0 <= angle <= -4.0


@pytest.mark.parametrize("turn", [-3.0, 2.0, 0.0])
def test_skew_of_a_turned_straight_page(turn):
    page = Image.open(JPG_045).convert("L")
    angle = scanpage.estimate_skew(page.rotate(turn, expand=True, fillcolor=255))
    assert angle == pytest.approx(-turn, abs=0.3)


def test_straight_page_is_not_rotated():
    page = Image.open(JPG_045).convert("L")
    out, angle = scanpage.deskew(page)
    assert angle == 0.0 and out is page


# ---- ruled tables ----------------------------------------------------------------------------

def test_ruled_table_cells_are_found():
    tm = scanpage.find_tables(Image.open(TABLE_009), 240)
    assert len(tm.tables) == 1
    cells = tm.tables[0].cells
    # header + rows 4 and 5 of the schedule, four columns, no merged cells
    assert sorted((c.row, c.col) for c in cells) == [(r, c) for r in range(3) for c in range(4)]
    # the columns run left to right, the rows top to bottom
    first_row = [c for c in cells if c.row == 0]
    assert [c.col for c in sorted(first_row, key=lambda c: c.box[0])] == [0, 1, 2, 3]
    assert tm.locate(*_centre(cells[0].box)) == (0, cells[0])


def test_pages_without_rulings_have_no_tables():
    assert scanpage.find_tables(Image.open(JPG_045), 140).tables == []


def test_runs_and_labels():
    m = np.array([[1, 1, 1, 0, 1, 1, 1, 1, 0]], dtype=bool)
    assert scanpage._runs_at_least(m, 4).astype(int).tolist() == [[0, 0, 0, 0, 1, 1, 1, 1, 0]]
    free = np.array([[1, 1, 0, 1], [0, 1, 0, 1], [1, 1, 0, 0], [0, 0, 1, 1]], dtype=bool)
    labels, n = scanpage._label_runs(free)
    assert n == 3 and labels[0, 0] == labels[2, 0] != labels[0, 3] != labels[3, 3]


def test_words_go_to_their_cells():
    # Tesseract ran one line across two cells ("Tổng hợp" | "10/7/2026"); the cells keep them apart
    tm = scanpage.find_tables(Image.open(TABLE_009), 240)
    cells = {(c.row, c.col): c.box for c in tm.tables[0].cells}
    (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = cells[(1, 1)], cells[(1, 2)]
    y = ay0 + 10
    words = [ocr.OcrWord((1, 1, 1, 1), (ax0 + 10, y, ax0 + 60, y + 20), 90.0, "Tổng"),
             ocr.OcrWord((1, 1, 1, 1), (ax0 + 70, y, ax0 + 110, y + 20), 90.0, "hợp"),
             ocr.OcrWord((1, 1, 1, 1), (bx0 + 10, y, bx0 + 90, y + 20), 90.0, "10/7/2026"),
             ocr.OcrWord((1, 1, 1, 2), (ax0 + 10, y + 30, ax0 + 60, y + 50), 90.0, "dữ"),
             ocr.OcrWord((1, 2, 1, 1), (10, ay1 + 400, 80, ay1 + 420), 90.0, "Trưởng")]
    page = ocr.arrange(words, 4, tm)
    assert page.paragraphs == [["Trưởng"]]
    assert [(t.at, t.cells) for t in page.tables] == [(0, [(1, 1, "Tổng hợp\ndữ"), (1, 2, "10/7/2026")])]
    assert page.text == "Tổng hợp\ndữ\n10/7/2026\n\nTrưởng"


@pytest.mark.parametrize("native, dpi", [(None, 300), (240.0, 240), (199.98, 200), (150.0, 300),
                                         (70.0, 210), (600.0, 300), (300.2, 300)])
def test_render_dpi_follows_the_scan(native, dpi):
    assert ocr.render_dpi(native) == dpi


def test_scan_dpi_of_a_pdf_page():
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(PDF_042))
    try:
        assert ocr.scan_dpi(pdf[0]) == pytest.approx(200, abs=1)
    finally:
        pdf.close()


@needs_ocr
def test_scanned_table_reads_cell_by_cell():
    st = read_document(TABLE_009)
    cells = {(b.row, b.col): st.text[b.start:b.end] for b in st.blocks if b.kind == "cell"}
    assert {b.table for b in st.blocks if b.kind == "cell"} == {0}
    assert len(cells) == 12
    assert cells[(2, 0)] == "5"
    assert cells[(1, 1)].startswith("Tổng hợp dữ liệu")
    assert "Trung tâm QLCL" in cells[(2, 3)]
    assert "10/7/2026" in cells[(1, 2)] and "13/7/2026" in cells[(1, 2)]
    # the page says how it was read
    assert st.pages[0].method == "ocr" and "ruled table" in st.pages[0].note
    # the cells reach the extractor like a text layer's table
    rec = extract_record(st)
    assert rec.source.page_sources[0].method == "ocr"


@needs_ocr
def test_crooked_page_is_straightened_before_ocr():
    st = read_document(CROOKED_002)
    assert "deskewed" in st.pages[0].note
    assert "Tham gia Hội thi kỹ năng sử dụng" in st.text
    assert "ngành Thông tin và Truyền thông tỉnh Phú Thọ năm 2011" in st.text
    assert st.pages[0].confidence > 70


def _centre(box):
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


# ---- tone marks OCR lost --------------------------------------------------------------------

@pytest.mark.parametrize("line, expected", [
    # lines as Tesseract read them from 045 (a 70-dpi page image) and 002
    ("SYT ngày 26/7/2020 về việc khân trương triên khai các biện pháp phòng, chồng",
     "SYT ngày 26/7/2020 về việc khẩn trương triển khai các biện pháp phòng, chồng"),
    ("dịch COVID-19, Sở Giáo dục và Đào tạo yêu câu thủ trưởng các đơn vị, trường",
     "dịch COVID-19, Sở Giáo dục và Đào tạo yêu cầu thủ trưởng các đơn vị, trường"),
    ("Thông tin và Truyên thông tỉnh Phú Thọ về tô chức Hội thi kỹ năng sử dụng",
     "Thông tin và Truyền thông tỉnh Phú Thọ về tổ chức Hội thi kỹ năng sử dụng"),
    # common words read right stay as they are, even where a twin is likelier (009)
    ("thực hiện khảo sát bằng tài khoản/đường dẫn do Trường thông báo.",
     "thực hiện khảo sát bằng tài khoản/đường dẫn do Trường thông báo."),
    ("chọn, bảo đảm phù hợp với hướng dẫn và công thức chọn mẫu trên hệ thống phần mềm",
     "chọn, bảo đảm phù hợp với hướng dẫn và công thức chọn mẫu trên hệ thống phần mềm"),
    # a word without neighbours to judge by, numbers, abbreviations, names: left alone
    ("tô", "tô"), ("năm 201í", "năm 201í"), ("UBND THÀNH PHÓ ĐÀ NẴNG", "UBND THÀNH PHÓ ĐÀ NẴNG"),
])
def test_restore_marks(line, expected):
    from kehoach.ingest.marks import restore_marks

    assert restore_marks(line) == expected


def test_restored_words_keep_their_case():
    from kehoach.ingest.marks import restore_marks

    assert restore_marks("KHÂN TRƯƠNG TRIÊN KHAI") == "KHẨN TRƯƠNG TRIỂN KHAI"


def test_pair_counts_come_from_text_as_written():
    import json

    data = json.loads((Path(ocr.__file__).with_name("data") / "vi_bigrams.json").read_text(encoding="utf-8"))
    names = data["sources"]
    assert names and not any("scan" in n or "transcript" in n or "GARBLED" in n for n in names)
    real = [n for n in names if not re.match(r"^\d{3}_[0-9a-f]{16}\.txt$", n)]  # seeds have hex names
    assert real and not any(n.startswith(("002_", "003_", "009_", "013_", "024_", "025_", "026_", "027_", "028_",
                                 "029_", "030_", "045_", "046_")) for n in real)
    assert data["bigrams"]["triển khai"] > 10 and "triên khai" not in data["bigrams"]


def test_text_layers_never_go_through_the_restorer(monkeypatch):
    from kehoach.ingest import marks

    def boom(*a, **k):
        raise AssertionError("restore_marks called on a text layer")

    monkeypatch.setattr(marks, "restore_marks_counted", boom)
    st = read_document(Path(__file__).parent / "fixtures" / "real" /
                       "016_CV_7432-UBND-XD_LaoCai_21-7-2026_trien_khai_QD1074.pdf")
    assert {p.method for p in st.pages} == {"text"} and st.text.strip()

"""Scanned pages around OCR: skew, ruled tables read cell by cell, the scan's own resolution.

Fixtures are cut from real scans of ../shared/corpus/real: 009's page 4 (the
end of its schedule table, scanned at 240 dpi) and 002's page 2 (a form
scanned crooked, rendered at 150 dpi).
"""

from __future__ import annotations

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

"""Readers: real documents from the corpus first, small built files for what they lack.

Real .docx: 010, 012, 031, 033, 035, 037, 039; real PDFs with a text layer: 016, 020.
None of the real .docx files numbers its headings with Word auto-numbering (only
012 numbers the STT column of a table that way), and neither real PDF has a
ruled table, so those paths are also checked on files built here.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kehoach.ingest import DocumentLoadError, InputFormat, SourceText, read_document, reader_for
from kehoach.ingest.docx import DocxReader, format_number
from kehoach.ingest import systools
from kehoach.ingest.pdf import PdfReader, page_needs_ocr, text_layer_garbled
from kehoach.ingest.text import source_from_text

FIXTURES = Path(__file__).parent / "fixtures"
REAL = FIXTURES / "real"
SEEDS = FIXTURES / "seeds"


def real(prefix: str) -> Path:
    (path,) = REAL.glob(f"{prefix}_*")
    return path


REAL_DOCX = ["010", "012", "031", "033", "035", "037", "039"]
REAL_PDF = ["016", "020"]


# ---------------------------------------------------------------------------
# shared checks
# ---------------------------------------------------------------------------

def lines_of(st: SourceText) -> list[str]:
    return st.text.split("\n")


def block_texts(st: SourceText, kind: str | None = None) -> list[str]:
    return [st.text[b.start:b.end] for b in st.blocks if kind is None or b.kind == kind]


def cell_blocks(st: SourceText):
    return [b for b in st.blocks if b.kind == "cell"]


def block_containing(st: SourceText, needle: str, kind: str | None = None):
    hits = [b for b in st.blocks if b.kind != "page" and (kind is None or b.kind == kind)
            and needle in st.text[b.start:b.end]]
    assert hits, f"no block contains {needle!r}"
    return hits[0]


def assert_well_formed(st: SourceText) -> None:
    """Offsets point into the text, text is normalized, content blocks do not overlap."""
    text = st.text
    assert text.strip()
    assert unicodedata.is_normalized("NFC", text)
    assert "\r" not in text and "\t" not in text and "\n\n\n" not in text
    assert text == text.strip("\n")
    content = [b for b in st.blocks if b.kind != "page"]
    assert content
    for b in st.blocks:
        assert 0 <= b.start < b.end <= len(text), b
        piece = text[b.start:b.end]
        assert piece.strip(), b
        assert piece == piece.strip(), b
    for a, b in zip(content, content[1:]):
        assert a.end < b.start, (a, b)
    for b in content:
        if b.kind == "cell":
            assert b.table is not None and b.row is not None and b.col is not None
    for line in lines_of(st):
        assert line == line.strip(), repr(line)
        assert "  " not in line, repr(line)


# ---------------------------------------------------------------------------
# every real fixture
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("prefix", REAL_DOCX + REAL_PDF)
def test_real_fixture_is_well_formed(prefix):
    st = read_document(real(prefix))
    assert_well_formed(st)
    assert st.path == str(real(prefix))


@pytest.mark.parametrize("prefix", ["013", "052"])
def test_real_txt_fixture_is_well_formed(prefix):
    assert_well_formed(read_document(real(prefix)))


@pytest.mark.parametrize("prefix, fmt", [("010", "docx"), ("016", "pdf"), ("013", "txt")])
def test_format_recorded(prefix, fmt):
    assert read_document(real(prefix)).format == fmt


@pytest.mark.parametrize("reader, mapping", [
    (DocxReader, {".docx": InputFormat.DOCX}),
    (PdfReader, {".pdf": InputFormat.PDF}),
])
def test_supported_formats(reader, mapping):
    assert reader.supported_formats() == mapping


@pytest.mark.parametrize("name, reader", [("a.docx", DocxReader), ("a.PDF", PdfReader)])
def test_dispatch_by_suffix(name, reader):
    assert isinstance(reader_for(Path(name)), reader)


# ---------------------------------------------------------------------------
# .docx: header, signature and reading order on real documents
# ---------------------------------------------------------------------------

# fixture, "Số" cell, motto as written (012 writes "HOÀ"), place-and-date cell start, signer
DOCX_HEADERS = [
    ("010", "Số: /KH-UBND", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Lào Cai, ngày", "Nguyễn Thành Sinh"),
    ("012", "Số: /KH-SCT", "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Lào Cai, ngày tháng 6 năm 2026",
     "Hoàng Văn Thuân"),
    ("031", "Số: 16/KH-MTTQ-BTT", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Lương Minh, ngày 18 tháng 11 năm 2025",
     "Lan Thị Vân"),
    ("033", "Số: /KH-MTTQ-BTT", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Lương Minh, ngày 25 tháng 11 năm 2025",
     "Lan Thị Vân"),
    ("035", "Số: /KH-MTTQ-BTT", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Lương Minh, ngày 10 tháng 12 năm 2025",
     "Lan Thị Vân"),
    ("037", "Số: /KH-MTTQ-BTT", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Lương Minh, ngày 10 tháng 12 năm 2025",
     "Lan Thị Vân"),
    ("039", "Số: /KH-MTTQ-BTT", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Lương Minh, ngày 12 tháng 01 năm 2026",
     "Lan Thị Vân"),
]


@pytest.mark.parametrize("prefix, number, motto, place_date, signer", DOCX_HEADERS)
def test_docx_header_cells(prefix, number, motto, place_date, signer):
    st = read_document(real(prefix))
    num = block_containing(st, number)
    mot = block_containing(st, motto)
    date = block_containing(st, place_date)
    assert (num.kind, mot.kind, date.kind) == ("cell", "cell", "cell")
    # the number and the motto are different cells of the first table: left and right column
    assert num is not mot and num.table == mot.table == 0
    assert num.col < mot.col == date.col
    assert number in lines_of(st)  # the "Số:" line stands alone
    assert "Độc lập - Tự do - Hạnh phúc" in st.text or "Độc lập – Tự do – Hạnh phúc" in st.text


@pytest.mark.parametrize("prefix, number, motto, place_date, signer", DOCX_HEADERS)
def test_docx_reading_order(prefix, number, motto, place_date, signer):
    """Header, then the title "KẾ HOẠCH", then the body, then "Nơi nhận" left of the signer."""
    st = read_document(real(prefix))
    title = lines_of(st).index("KẾ HOẠCH")
    title_at = sum(len(x) + 1 for x in lines_of(st)[:title])
    header = block_containing(st, motto)
    recipients = block_containing(st, "Nơi nhận:")
    sig = block_containing(st, signer)
    assert header.end < title_at < recipients.start < sig.start
    assert (recipients.kind, sig.kind) == ("cell", "cell")
    assert recipients.table == sig.table and recipients.row == sig.row and recipients.col < sig.col
    assert st.text[sig.start:sig.end].endswith(signer)


def test_docx_table_cells_blank_lines_around():
    st = read_document(real("010"))
    first_cell = cell_blocks(st)[0]
    assert first_cell.start == 0
    # a blank line separates the header table from "KẾ HOẠCH"
    assert "Lào Cai, ngày tháng năm 2026\n\nKẾ HOẠCH" in st.text


def test_docx_restores_table_numbering_012():
    """012 numbers the STT column of its assignment table with Word numbering ("%1.")."""
    st = read_document(real("012"))
    stt = [st.text[b.start:b.end] for b in cell_blocks(st) if b.table == 2 and b.col == 0]
    assert stt == ["TT"] + [f"{i}." for i in range(1, 10)]


def test_docx_lists_keep_dash_bullets_010():
    st = read_document(real("010"))
    lines = lines_of(st)
    for heading in ("I. MỤC ĐÍCH, YÊU CẦU", "1. Mục đích", "II. NHIỆM VỤ, GIẢI PHÁP", "IV. TỔ CHỨC THỰC HIỆN"):
        assert heading in lines
    assert sum(line.startswith("- ") for line in lines) > 30


def test_docx_footnote_mark_not_glued_010():
    # 010 has a footnote reference right after "khoáng sản"
    st = read_document(real("010"))
    assert "về địa chất, khoáng sản đến cán bộ" in st.text
    assert not re.search(r"khoáng sản\d", st.text)


def test_docx_paragraph_style_recorded_010():
    st = read_document(real("010"))
    assert {b.style for b in st.blocks if b.kind == "paragraph"} & {"heading 4", "Heading 4"}


# ---------------------------------------------------------------------------
# .docx built here: numbering, inline content, tables, package errors
# ---------------------------------------------------------------------------

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
DOC_HEAD = (f'<w:document xmlns:w="{W_NS}" '
            'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
            'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
            'xmlns:v="urn:schemas-microsoft-com:vml" '
            'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
            'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><w:body>')
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def make_docx(path: Path, body: str, numbering: str | None = None, styles: str | None = None) -> Path:
    """A minimal .docx package around ``body`` (w:body children)."""
    overrides = ['<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
                 'officedocument.wordprocessingml.document.main+xml"/>']
    rels = []
    parts = {"word/document.xml": DOC_HEAD + body + "</w:body></w:document>"}
    if numbering is not None:
        parts["word/numbering.xml"] = f'<w:numbering xmlns:w="{W_NS}">{numbering}</w:numbering>'
        overrides.append('<Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-'
                         'officedocument.wordprocessingml.numbering+xml"/>')
        rels.append(f'<Relationship Id="rId1" Type="{REL_NS}/numbering" Target="numbering.xml"/>')
    if styles is not None:
        parts["word/styles.xml"] = f'<w:styles xmlns:w="{W_NS}">{styles}</w:styles>'
        overrides.append('<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-'
                         'officedocument.wordprocessingml.styles+xml"/>')
        rels.append(f'<Relationship Id="rId2" Type="{REL_NS}/styles" Target="styles.xml"/>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>' + "".join(overrides) + "</Types>")
        z.writestr("_rels/.rels",
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="word/document.xml"/>'
                   "</Relationships>")
        z.writestr("word/_rels/document.xml.rels",
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   + "".join(rels) + "</Relationships>")
        for name, xml in parts.items():
            z.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + xml)
    return path


def p(text: str = "", num: tuple[int, int] | None = None, style: str | None = None, runs: str | None = None) -> str:
    ppr = ""
    if num or style:
        ppr = "<w:pPr>" + (f'<w:pStyle w:val="{style}"/>' if style else "")
        if num:
            ppr += f'<w:numPr><w:ilvl w:val="{num[1]}"/><w:numId w:val="{num[0]}"/></w:numPr>'
        ppr += "</w:pPr>"
    content = runs if runs is not None else (f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>' if text else "")
    return f"<w:p>{ppr}{content}</w:p>"


def lvl(ilvl: int, fmt: str, text: str, start: int = 1) -> str:
    return (f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="{start}"/><w:numFmt w:val="{fmt}"/>'
            f'<w:lvlText w:val="{text}"/></w:lvl>')


# abstract 0: I. / 1. / a) ; abstract 1: 1. / 1.1. ; abstract 2: bullets
NUMBERING = (
    '<w:abstractNum w:abstractNumId="0">' + lvl(0, "upperRoman", "%1.") + lvl(1, "decimal", "%2.")
    + lvl(2, "lowerLetter", "%3)") + "</w:abstractNum>"
    + '<w:abstractNum w:abstractNumId="1">' + lvl(0, "decimal", "%1.") + lvl(1, "decimal", "%1.%2.")
    + "</w:abstractNum>"
    + '<w:abstractNum w:abstractNumId="2">' + lvl(0, "bullet", "\uf0b7") + lvl(1, "bullet", "o")
    + lvl(2, "bullet", "+") + lvl(3, "bullet", "-") + "</w:abstractNum>"
    + '<w:abstractNum w:abstractNumId="3"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/>'
      '<w:lvlText w:val="Điều %1."/></w:lvl></w:abstractNum>'
    + '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>'
    + '<w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>'
    + '<w:num w:numId="3"><w:abstractNumId w:val="2"/></w:num>'
    + '<w:num w:numId="4"><w:abstractNumId w:val="1"/>'
      '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>'
    + '<w:num w:numId="5"><w:abstractNumId w:val="3"/></w:num>'
)
STYLES = (
    '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>'
    '<w:style w:type="paragraph" w:styleId="Dieu"><w:name w:val="Dieu"/><w:basedOn w:val="Normal"/>'
    '<w:pPr><w:numPr><w:numId w:val="5"/></w:numPr></w:pPr></w:style>'
    '<w:style w:type="paragraph" w:styleId="DieuCon"><w:name w:val="Dieu con"/><w:basedOn w:val="Dieu"/></w:style>'
    '<w:style w:type="character" w:styleId="FootnoteReference"><w:name w:val="footnote reference"/></w:style>'
)


def test_docx_numbering_restored(tmp_path):
    body = "".join([
        p("MỤC ĐÍCH, YÊU CẦU", (1, 0)),
        p("Mục đích", (1, 1)),
        p("Yêu cầu", (1, 1)),
        p("Sở Công Thương chủ trì", (1, 2)),
        p("UBND các xã phối hợp", (1, 2)),
        p("NHIỆM VỤ", (1, 0)),            # a shallower level advances: 1. and a) restart
        p("Tuyên truyền", (1, 1)),
        p("Kiểm tra", (1, 2)),
        p("Thời gian", (2, 0)),
        p("Ngày 06/7/2026", (2, 1)),
        p("Ngày 07/7/2026", (2, 1)),
        p("Địa điểm", (2, 0)),
        p("Hội trường", (2, 1)),
        p("Symbol bullet", (3, 0)),
        p("Circle bullet", (3, 1)),
        p("Plus bullet", (3, 2)),
        p("Dash bullet", (3, 3)),
        p("Danh sách mới", (4, 0)),       # same abstract as numId 2, restarted by startOverride
        p("Không đánh số", (0, 0)),       # numId 0 switches numbering off
        p("Phạm vi", style="Dieu"),       # numbering from the paragraph style
        p("Đối tượng", style="DieuCon"),  # ... inherited through basedOn
    ])
    st = DocxReader().read(make_docx(tmp_path / "n.docx", body, NUMBERING, STYLES))
    assert lines_of(st) == [
        "I. MỤC ĐÍCH, YÊU CẦU", "1. Mục đích", "2. Yêu cầu", "a) Sở Công Thương chủ trì", "b) UBND các xã phối hợp",
        "II. NHIỆM VỤ", "1. Tuyên truyền", "a) Kiểm tra",
        "1. Thời gian", "1.1. Ngày 06/7/2026", "1.2. Ngày 07/7/2026", "2. Địa điểm", "2.1. Hội trường",
        "- Symbol bullet", "- Circle bullet", "+ Plus bullet", "- Dash bullet",
        "1. Danh sách mới", "Không đánh số", "Điều 1. Phạm vi", "Điều 2. Đối tượng",
    ]
    assert_well_formed(st)


def test_docx_properties_found_where_a_writer_put_them_out_of_order(tmp_path):
    """Paragraph and run properties stand first by the schema; a bookmark written before them
    (out of order) does not lose the numbering, the style or the hidden-text switch."""
    body = ('<w:p><w:bookmarkStart w:id="0" w:name="a"/><w:pPr><w:pStyle w:val="Dieu"/></w:pPr>'
            + r("Phạm vi") + '</w:p>'
            + '<w:p><w:bookmarkStart w:id="1" w:name="b"/><w:pPr><w:numPr><w:ilvl w:val="1"/>'
            '<w:numId w:val="2"/></w:numPr></w:pPr>' + r("Thời gian") + '</w:p>'
            + '<w:p>' + r("giao ") + '<w:r><w:lastRenderedPageBreak/><w:rPr><w:vanish/></w:rPr>'
            '<w:t>BÍ MẬT </w:t></w:r>' + r("Sở Xây dựng") + '</w:p>')
    st = DocxReader().read(make_docx(tmp_path / "o.docx", body, NUMBERING, STYLES))
    assert lines_of(st) == ["Điều 1. Phạm vi", "1.1. Thời gian", "giao Sở Xây dựng"]
    assert [b.style for b in st.blocks][:1] == ["Dieu"]


def test_docx_paragraph_properties_are_those_of_the_first_child_ppr(tmp_path):
    """The paragraph's properties are its w:pPr as ``_props`` finds it (the first child, else the first
    w:pPr when no content comes before it), also when the walk takes them from the body scan: a
    second w:pPr, a tracked change's old w:pPr and a w:pPr after the runs set nothing; a comment
    before the w:pPr does not hide it."""
    body = ('<w:p><w:pPr><w:jc w:val="left"/></w:pPr><w:pPr><w:pStyle w:val="Dieu"/></w:pPr>' + r("một") + '</w:p>'
            + '<w:p><w:pPr><w:pStyle w:val="Dieu"/></w:pPr><w:pPr><w:numPr><w:ilvl w:val="1"/>'
            '<w:numId w:val="2"/></w:numPr></w:pPr>' + r("hai") + '</w:p>'
            + '<w:p><w:pPr><w:pPrChange w:id="1" w:author="a"><w:pPr><w:pStyle w:val="Dieu"/></w:pPr>'
            '</w:pPrChange></w:pPr>' + r("ba") + '</w:p>'
            + '<w:p>' + r("bốn") + '<w:pPr><w:pStyle w:val="Dieu"/></w:pPr></w:p>'
            + '<w:p><!-- ghi chú --><w:pPr><w:pStyle w:val="Dieu"/></w:pPr>' + r("năm") + '</w:p>')
    st = DocxReader().read(make_docx(tmp_path / "f.docx", body, NUMBERING, STYLES))
    assert lines_of(st) == ["một", "Điều 1. hai", "ba", "bốn", "Điều 2. năm"]
    assert [b.style for b in st.blocks] == [None, "Dieu", None, None, "Dieu"]


def test_docx_lists_sharing_an_abstract_continue(tmp_path):
    # Word continues a list across w:num instances of one abstractNum unless one restarts it
    numbering = NUMBERING + '<w:num w:numId="6"><w:abstractNumId w:val="1"/></w:num>'
    body = p("một", (2, 0)) + p("hai", (2, 0)) + p("ba", (6, 0))
    st = DocxReader().read(make_docx(tmp_path / "c.docx", body, numbering, STYLES))
    assert lines_of(st) == ["1. một", "2. hai", "3. ba"]


@pytest.mark.parametrize("n, fmt, expected", [
    (1, "decimal", "1"), (4, "upperRoman", "IV"), (9, "lowerRoman", "ix"), (14, "upperRoman", "XIV"),
    (1, "lowerLetter", "a"), (5, "lowerLetter", "e"), (27, "lowerLetter", "aa"), (3, "upperLetter", "C"),
    (3, "decimalZero", "03"), (7, "unknownFormat", "7"),
])
def test_format_number(n, fmt, expected):
    assert format_number(n, fmt) == expected


def r(text: str, rpr: str = "") -> str:
    return f'<w:r>{f"<w:rPr>{rpr}</w:rPr>" if rpr else ""}<w:t xml:space="preserve">{text}</w:t></w:r>'


TEXTBOX = ('<w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wp:anchor><a:graphic><a:graphicData>'
           '<wps:wsp><wps:txbx><w:txbxContent>' + p("DỰ THẢO") + '</w:txbxContent></wps:txbx></wps:wsp>'
           '</a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape>'
           '<v:textbox><w:txbxContent>' + p("DỰ THẢO") + '</w:txbxContent></v:textbox></v:shape></w:pict>'
           '</mc:Fallback></mc:AlternateContent></w:r>')


@pytest.mark.parametrize("runs, expected", [
    # soft line break keeps two lines inside one paragraph block; a tab becomes a space
    (r("Nơi nhận:") + "<w:r><w:br/></w:r>" + r("- Như trên;"), ["Nơi nhận:", "- Như trên;"]),
    (r("Số:") + "<w:r><w:tab/></w:r>" + r("12/KH-UBND"), ["Số: 12/KH-UBND"]),
    # footnote marks leave no digit behind, also a custom mark in a FootnoteReference run
    (r("Điều 22") + '<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteReference w:id="1"/>'
     '</w:r>' + r(" Luật Tổ chức Quốc hội"), ["Điều 22 Luật Tổ chức Quốc hội"]),
    (r("khoáng sản") + r("1", '<w:rStyle w:val="FootnoteReference"/>') + r(" đến cán bộ"),
     ["khoáng sản đến cán bộ"]),
    # hidden and deleted text are not shown, inserted text is
    (r("giao ") + r("BÍ MẬT ", "<w:vanish/>") + r("Sở Xây dựng"), ["giao Sở Xây dựng"]),
    ('<w:del><w:r><w:delText>Sở Tài chính</w:delText></w:r></w:del><w:ins>' + r("Sở Công Thương") + "</w:ins>",
     ["Sở Công Thương"]),
    # hyperlinks, content controls, field results (not their codes)
    ('<w:hyperlink>' + r("Cổng thông tin") + '</w:hyperlink>', ["Cổng thông tin"]),
    ('<w:sdt><w:sdtContent>' + r("ngày 5 tháng 3") + '</w:sdtContent></w:sdt>', ["ngày 5 tháng 3"]),
    ('<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> DATE </w:instrText></w:r>'
     '<w:r><w:fldChar w:fldCharType="separate"/></w:r>' + r("05/3/2026")
     + '<w:r><w:fldChar w:fldCharType="end"/></w:r>', ["05/3/2026"]),
    # a symbol-font bullet typed as w:sym
    ('<w:r><w:sym w:font="Symbol" w:char="F0B7"/></w:r>' + r(" Công an tỉnh;"), ["- Công an tỉnh;"]),
    # a text box is read once (Choice, not Fallback too), after its paragraph
    (r("KẾ HOẠCH") + TEXTBOX, ["KẾ HOẠCH", "DỰ THẢO"]),
])
def test_docx_inline_content(tmp_path, runs, expected):
    st = DocxReader().read(make_docx(tmp_path / "i.docx", p(runs=runs), styles=STYLES))
    assert lines_of(st) == expected
    assert_well_formed(st)


def tc(content: str, props: str = "") -> str:
    return f"<w:tc>{f'<w:tcPr>{props}</w:tcPr>' if props else ''}{content}</w:tc>"


def test_docx_tables_merged_and_nested(tmp_path):
    nested = "<w:tbl>" + "<w:tr>" + tc(p("x1")) + tc(p("x2")) + "</w:tr></w:tbl>"
    table = ("<w:tbl>"
             "<w:tr>" + tc(p("STT")) + tc(p("Nhiệm vụ"), '<w:gridSpan w:val="2"/>') + tc(p("Thời hạn")) + "</w:tr>"
             "<w:tr>" + tc(p("1"), '<w:vMerge w:val="restart"/>') + tc(p("Kiểm tra") + nested + p("sau bảng con"))
             + tc(p("Sở Công Thương")) + tc(p("Quý II")) + "</w:tr>"
             "<w:tr>" + tc(p(""), "<w:vMerge/>") + tc(p("Báo cáo")) + tc(p("UBND xã")) + tc(p("30/6")) + "</w:tr>"
             "</w:tbl>")
    body = p("Trước bảng") + table + p("Sau bảng")
    st = DocxReader().read(make_docx(tmp_path / "t.docx", body))
    got = [(b.kind, b.table, b.row, b.col, st.text[b.start:b.end]) for b in st.blocks]
    assert got == [
        ("paragraph", None, None, None, "Trước bảng"),
        ("cell", 0, 0, 0, "STT"), ("cell", 0, 0, 1, "Nhiệm vụ"), ("cell", 0, 0, 3, "Thời hạn"),
        ("cell", 0, 1, 0, "1"),
        ("cell", 0, 1, 1, "Kiểm tra"), ("cell", 1, 0, 0, "x1"), ("cell", 1, 0, 1, "x2"),
        ("cell", 0, 1, 1, "sau bảng con"),
        ("cell", 0, 1, 2, "Sở Công Thương"), ("cell", 0, 1, 3, "Quý II"),
        ("cell", 0, 2, 1, "Báo cáo"), ("cell", 0, 2, 2, "UBND xã"), ("cell", 0, 2, 3, "30/6"),
        ("paragraph", None, None, None, "Sau bảng"),
    ]
    assert st.text.startswith("Trước bảng\n\nSTT\n")
    assert st.text.endswith("30/6\n\nSau bảng")
    assert_well_formed(st)


def test_docx_cell_paragraphs_are_lines_of_one_block(tmp_path):
    signer = p("KT. GIÁM ĐỐC") + p("PHÓ GIÁM ĐỐC") + p("") + p("Hoàng Văn Thuân")
    table = "<w:tbl><w:tr>" + tc(signer) + "</w:tr></w:tbl>"
    st = DocxReader().read(make_docx(tmp_path / "s.docx", table))
    assert block_texts(st) == ["KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC\nHoàng Văn Thuân"]


def rezip(src: Path, dst: Path, change) -> Path:
    """Copy a .docx, passing each part through ``change(name, bytes) -> bytes | None`` (None drops it)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(info.filename, data)
    return dst


def _only(part: str, fn):
    return lambda name, data: fn(data) if name == part else data


DOCX_ERRORS = [
    # case, build(tmp_path) -> path, stage, reason pattern
    ("empty", lambda t: _write(t / "e.docx", b""), "read", r"^empty file$"),
    ("not a zip", lambda t: _write(t / "n.docx", "KẾ HOẠCH số 12".encode()), "parse", r"^not a \.docx \(zip\) file"),
    ("legacy .doc renamed", lambda t: _write(t / "o.docx", bytes.fromhex("d0cf11e0a1b11ae1") + bytes(600)),
     "parse", r"legacy Word \.doc"),
    ("encrypted .docx", lambda t: _write(t / "x.docx", bytes.fromhex("d0cf11e0a1b11ae1") + bytes(600)
                                         + "EncryptedPackage".encode("utf-16-le")), "parse", r"password required"),
    ("truncated zip", lambda t: _write(t / "t.docx", real("035").read_bytes()[:30000]), "parse",
     r"corrupt zip archive"),
    ("broken XML", lambda t: rezip(real("035"), t / "b.docx", _only("word/document.xml", lambda d: d[:len(d) // 2])),
     "parse", r"^corrupt document XML: "),
    ("DOCTYPE", lambda t: rezip(real("035"), t / "d.docx", _only("word/document.xml", lambda d: d.replace(
        b"?>", b'?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>', 1))), "parse", r"DOCTYPE/ENTITY"),
    ("no content types", lambda t: rezip(real("035"), t / "c.docx",
                                         lambda n, d: None if n == "[Content_Types].xml" else d),
     "parse", r"^not a Word document"),
    ("spreadsheet renamed", lambda t: rezip(real("035"), t / "s.docx", _only("[Content_Types].xml", lambda d: d.replace(
        b"wordprocessingml.document.main+xml", b"spreadsheetml.sheet.main+xml"))), "parse",
     r"^not a Word document \(main part is .*spreadsheetml"),
    ("no text", lambda t: rezip(real("035"), t / "x.docx", _only(
        "word/document.xml", lambda d: re.sub(rb"<w:t(?: [^>]*)?>[^<]*</w:t>", b"", d))), "read", r"^no text$"),
]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case, build, stage, reason", DOCX_ERRORS, ids=[c[0] for c in DOCX_ERRORS])
def test_docx_errors(tmp_path, case, build, stage, reason):
    path = build(tmp_path)
    with pytest.raises(DocumentLoadError) as err:
        read_document(path)
    assert err.value.stage == stage
    assert re.search(reason, err.value.reason), err.value.reason
    assert err.value.path == str(path)


def test_docx_zip_bomb_limit(tmp_path, monkeypatch):
    import kehoach.ingest.docx as docx_module

    monkeypatch.setattr(docx_module, "MAX_DOCUMENT_XML_BYTES", 10_000)
    with pytest.raises(DocumentLoadError) as err:
        read_document(real("035"))
    assert err.value.stage == "parse"
    assert re.search(r"^refused: word/document\.xml is \d+ (bytes|MB) uncompressed .*zip bomb", err.value.reason)


_PROLOG_PIECES = ["<", "!", "-", "?", ">", "a", "_", " ", "<!--", "-->", "<?", "?>", "<!DOCTYPE", "<!entity", "<w:doc"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PROLOG_PIECES), max_size=14), st.booleans())
def test_docx_prolog_checks_match_their_definition(pieces, utf16):
    """The prolog checks read as their definitions: a root start tag ("<" + letter) in the text with
    comments and PIs removed (pieces around a comment meet), a DOCTYPE/ENTITY in any case."""
    from kehoach.ingest.docx import _has_dtd, _root_started

    text = "".join(pieces)
    head = codecs.BOM_UTF16_LE + text.encode("utf-16-le") if utf16 else text.encode()
    without = re.sub(r"<!--.*?-->|<\?.*?\?>", "", text, flags=re.S)
    assert _root_started(head) == (re.search(r"<[A-Za-z_]", without) is not None)
    assert _has_dtd(head) == ("<!doctype" in text.lower() or "<!entity" in text.lower())


# ---------------------------------------------------------------------------
# PDF: real documents
# ---------------------------------------------------------------------------

# fixture, agency, number line, motto, place-and-date line, first line after the header block
PDF_HEADERS = [
    ("016", "ỦY BAN NHÂN DÂN", "Số: /UBND-XD", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
     "Lào Cai, ngày tháng 7 năm 2026", "Kính gửi:"),
    ("020", "ỦY BAN NHÂN DÂN", "Số: /UBND-KT", "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM",
     "Lào Cai, ngày tháng năm 2026", "Kính gửi: Sở Công Thương."),
]


@pytest.mark.parametrize("prefix, agency, number, motto, place_date, after", PDF_HEADERS)
def test_pdf_header_columns_not_interleaved(prefix, agency, number, motto, place_date, after):
    # pdfium reads "Số: /UBND-XD Lào Cai, ngày tháng 7 năm 2026" as one line; the
    # reader splits it and puts the left column before the right one
    lines = lines_of(read_document(real(prefix)))
    for line in (agency, "TỈNH LÀO CAI", number, motto, "Độc lập - Tự do - Hạnh phúc", place_date, after):
        assert line in lines, line
    order = [lines.index(x) for x in (agency, "TỈNH LÀO CAI", number, motto, place_date, after)]
    assert order == sorted(order)


@pytest.mark.parametrize("prefix, pages, signer", [("016", 2, "Phan Trung Bá"), ("020", 1, "Bùi Ngọc Hùng")])
def test_pdf_pages(prefix, pages, signer):
    st = read_document(real(prefix))
    assert [pg.number for pg in st.pages] == list(range(1, pages + 1))
    assert all(pg.method == "text" for pg in st.pages)
    assert st.pages[0].start == 0 and st.pages[-1].end == len(st.text)
    for a, b in zip(st.pages, st.pages[1:]):
        assert b.start == a.end + 1  # pages tile the text, one newline between
    for b in st.blocks:
        assert st.page_at(b.start) == b.page, b
    assert st.page_at(0) == 1
    assert st.page_at(st.text.index(signer)) == pages
    assert st.page_at(st.text.index("Nơi nhận:")) == pages
    assert [b.page for b in st.blocks if b.kind == "page"] == list(range(1, pages + 1))
    assert lines_of(st)[-1] == signer


def test_pdf_paragraph_blocks_are_lines_016():
    st = read_document(real("016"))
    paras = block_texts(st, "paragraph")
    assert "1. Công an tỉnh, các sở, ban, ngành, đoàn thể tỉnh và Ủy ban nhân dân" in paras
    assert all("\n" not in t for t in paras)


# ---------------------------------------------------------------------------
# PDF built here: tables, interleaved columns, page numbers, errors
# ---------------------------------------------------------------------------

def make_pdf(pages: list[list[tuple]], encrypt: bool = False) -> bytes:
    """A small PDF (Helvetica, WinAnsi text): ops ("text", x, y, s[, size]), ("line", x0, y0, x1, y1) and
    ("image", x, y, w, h): a blank white image (what a scan of an empty sheet is)."""
    objs: list[bytes] = []

    def add(obj: bytes) -> int:
        objs.append(obj)
        return len(objs)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    white = b"\xff" * 64
    image = add(b"<< /Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray "
                b"/BitsPerComponent 8 /Length 64 >>\nstream\n" + white + b"\nendstream")
    contents = []
    for ops in pages:
        parts = []
        for op in ops:
            if op[0] == "text":
                _, x, y, s, *size = op
                esc = s.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
                parts.append(b"BT /F1 %d Tf %.2f %.2f Td (" % (size[0] if size else 11, x, y) + esc + b") Tj ET")
            elif op[0] == "image":
                _, x, y, w, h = op
                parts.append(b"q %.2f 0 0 %.2f %.2f %.2f cm /Im1 Do Q" % (w, h, x, y))
            else:
                _, x0, y0, x1, y1 = op
                parts.append(b"0.5 w %.2f %.2f m %.2f %.2f l S" % (x0, y0, x1, y1))
        stream = b"\n".join(parts)
        contents.append(add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"))
    pages_id = len(objs) + len(pages) + 1
    kids = [add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> "
                b"/XObject << /Im1 %d 0 R >> >> /Contents %d 0 R >>" % (pages_id, font, image, c)) for c in contents]
    add(b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids) + b"] /Count %d >>" % len(kids))
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    # Standard security handler whose /U entry matches no password, empty included
    encrypt_id = add(b"<< /Filter /Standard /V 1 /R 2 /Length 40 /P -4 /O <" + b"11" * 32 + b"> /U <"
                     + b"22" * 32 + b"> >>") if encrypt else None
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    trailer = b"<< /Size %d /Root %d 0 R" % (len(objs) + 1, catalog)
    if encrypt_id:
        trailer += b" /Encrypt %d 0 R /ID [<%s> <%s>]" % (encrypt_id, b"ab" * 16, b"ab" * 16)
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


# header drawn row by row (left, right, left, right), as some producers write it
HEADER_ROWS = [("text", 80, 780, "UY BAN NHAN DAN"), ("text", 330, 780, "CONG HOA XA HOI CHU NGHIA VIET NAM"),
               ("text", 95, 765, "TINH LAO CAI"), ("text", 350, 765, "Doc lap - Tu do - Hanh phuc"),
               ("text", 90, 740, "So: 12/KH-UBND"), ("text", 340, 740, "Lao Cai, ngay 5 thang 3 nam 2026"),
               ("text", 265, 700, "KE HOACH", 13),
               ("text", 60, 680, "Body text that runs across the whole width of the page, margin to margin.", 10)]
BODY_ROWS = [("text", 60, 780, "Thuc hien Ke hoach, cac don vi trien khai cac nhiem vu sau day tren dia ban."),
             ("text", 290, 30, "- 2 -")]


def table_page() -> list[tuple]:
    ops: list[tuple] = [("text", 60, 640, "Phan cong nhiem vu:")]
    xs, ys = [60, 100, 300, 450, 540], [620, 600, 580, 560]
    ops += [("line", xs[0], y, xs[-1], y) for y in ys] + [("line", x, ys[0], x, ys[-1]) for x in xs]
    rows = [["TT", "Nhiem vu", "Chu tri", "Thoi han"], ["1", "Kiem tra mo", "So Cong Thuong", "Quy II/2026"],
            ["2", "Bao cao ket qua", "UBND xa", "30/6/2026"]]
    ops += [("text", xs[c] + 4, ys[r] - 14, t, 9) for r, row in enumerate(rows) for c, t in enumerate(row)]
    ops += [("text", 60, 530, "Sau bang la doan van nay."), ("text", 290, 30, "3")]
    return ops


def test_pdf_row_by_row_header_comes_out_by_column(tmp_path):
    st = read_document(_write(tmp_path / "h.pdf", make_pdf([HEADER_ROWS])))
    assert lines_of(st)[:7] == ["UY BAN NHAN DAN", "TINH LAO CAI", "So: 12/KH-UBND",
                                "CONG HOA XA HOI CHU NGHIA VIET NAM", "Doc lap - Tu do - Hanh phuc",
                                "Lao Cai, ngay 5 thang 3 nam 2026", "KE HOACH"]


def test_pdf_table_cells_and_page_numbers(tmp_path):
    st = read_document(_write(tmp_path / "t.pdf", make_pdf([HEADER_ROWS, BODY_ROWS, table_page()])))
    assert_well_formed(st)
    cells = [(b.table, b.row, b.col, st.text[b.start:b.end], b.page) for b in cell_blocks(st)]
    assert cells[:5] == [(0, 0, 0, "TT", 3), (0, 0, 1, "Nhiem vu", 3), (0, 0, 2, "Chu tri", 3),
                         (0, 0, 3, "Thoi han", 3), (0, 1, 0, "1", 3)]
    assert (0, 2, 1, "Bao cao ket qua", 3) in cells and len(cells) == 12
    # table text only once: as cells, not also as lines
    assert st.text.count("Kiem tra mo") == 1
    assert "Kiem tra mo" not in block_texts(st, "paragraph")
    # order: the line above the table, the cells, the line below
    lines = lines_of(st)
    assert lines.index("Phan cong nhiem vu:") < lines.index("TT") < lines.index("30/6/2026") \
        < lines.index("Sau bang la doan van nay.")
    # page-number lines ("- 2 -", "3") are dropped
    assert "- 2 -" not in lines and "3" not in lines
    assert [pg.number for pg in st.pages] == [1, 2, 3]
    assert st.page_at(st.text.index("Thuc hien Ke hoach")) == 2


SCANNED_PAGE = [("image", 0, 0, 595, 842)]  # a page-sized image of a blank sheet
BLANK_PAGE = [("line", 50, 50, 500, 50), ("text", 290, 30, "7")]  # a rule and a page number


def test_pdf_page_without_text_is_reported(tmp_path):
    st = read_document(_write(tmp_path / "m.pdf", make_pdf([HEADER_ROWS, SCANNED_PAGE])))
    assert [pg.number for pg in st.pages] == [1, 2]
    # with Tesseract: "page 2: no text layer and OCR found no text"; without: "... (OCR needed ...): 2"
    assert any("OCR" in w and re.search(r"\b2\b", w) for w in st.warnings), st.warnings
    assert st.pages[1].start == st.pages[1].end


def test_blank_pdf_page_is_not_ocrd(tmp_path, monkeypatch):
    from kehoach.ingest import ocr

    def no_ocr(*a, **k):
        raise AssertionError("a blank page was sent to OCR")

    monkeypatch.setattr(ocr, "ocr_pdf_pages", no_ocr)
    st = read_document(_write(tmp_path / "b.pdf", make_pdf([HEADER_ROWS, BLANK_PAGE])))
    assert [(pg.number, pg.method) for pg in st.pages] == [(1, "text"), (2, "text")]
    assert st.pages[1].note == "blank page: no text layer and nothing drawn to OCR"
    assert not any("OCR" in w for w in st.warnings), st.warnings
    assert "KE HOACH" in st.text


PDF_ERRORS = [
    ("empty", lambda t: _write(t / "e.pdf", b""), "read", r"^empty file$"),
    ("not a pdf", lambda t: _write(t / "n.pdf", b"<html>not a pdf</html>"), "parse", r"^not a PDF file"),
    ("truncated", lambda t: _write(t / "t.pdf", real("016").read_bytes()[:200_000]), "parse", r"^corrupt PDF: "),
    ("encrypted", lambda t: _write(t / "x.pdf", make_pdf([HEADER_ROWS], encrypt=True)), "parse",
     r"^password required \(encrypted PDF\)$"),
    ("no pages", lambda t: _write(t / "z.pdf", make_pdf([])), "parse", r"^PDF has no pages$"),
    # scans of blank sheets: OCR finds nothing (without Tesseract: stage "tool", tested in test_formats.py)
    ("scanned", lambda t: _write(t / "s.pdf", make_pdf([SCANNED_PAGE, SCANNED_PAGE])), "ocr",
     r"^no text layer \(scanned PDF\) and OCR found no text$"),
    # nothing drawn but rules and a page number: nothing to read and nothing to OCR, with or without Tesseract
    ("blank", lambda t: _write(t / "b.pdf", make_pdf([BLANK_PAGE, []])), "read",
     r"^no text: every page is blank \(no text layer, no image to OCR\)$"),
]


@pytest.mark.parametrize("case, build, stage, reason", PDF_ERRORS, ids=[c[0] for c in PDF_ERRORS])
def test_pdf_errors(tmp_path, case, build, stage, reason):
    path = build(tmp_path)
    if case == "scanned" and not systools.tesseract_has("vie"):
        stage, reason = "tool", r"^no text layer \(scanned PDF\): OCR needs (tesseract|Tesseract's Vietnamese)"
    with pytest.raises(DocumentLoadError) as err:
        read_document(path)
    assert err.value.stage == stage
    assert re.search(reason, err.value.reason), err.value.reason


# real text-layer snippets: 013's font maps glyphs to wrong letters; 030 is TCVN3
# (a legacy 8-bit encoding, readable after conversion, so not an OCR case)
GARBLED_013 = ("6Ӣ C‘NG 7+ѬѪ1* &Ӝ1* H“A XÃ +Ӝ, &+Ӫ 1*+Ƭ$ 9,ӊ7 NAM\r\n Ĉ2¬1 .,ӆ0 TRA \r\nTHEO 48<ӂ7 Ĉӎ1+\r\n"
               "6Ӕ \x14\x13\x18\x13\x124Ĉ\x106&7\r\nĈӝF OұS - 7ӵ do - +ҥQK Ph˙c\r\nL‡o Cai, ng‡y th·ng 3 QăP 2026")
TCVN3_030 = "B¸o c¸o\r\nT×nh h×nh thùc hiÖn nhiÖm vô kÕ ho¹ch n¨m 2004 \r\nvµ kÕ ho¹ch ph¸t triÓn kinh tÕ - x· héi"


@pytest.mark.parametrize("text, needs_ocr, garbled", [
    ("", True, False),
    ("  \r\n \r\n", True, False),
    ("- 2 -", True, False),
    (GARBLED_013, True, True),
    (TCVN3_030, False, False),
    ("Số: /UBND-XD Lào Cai, ngày tháng 7 năm 2026\r\nV/v triển khai thực hiện Quyết định số", False, False),
])
def test_page_needs_ocr(text, needs_ocr, garbled):
    assert page_needs_ocr(text) is needs_ocr
    assert text_layer_garbled(text) is garbled


# ---------------------------------------------------------------------------
# text reader: encodings, built from a seed text
# ---------------------------------------------------------------------------

TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def to_cp1258(text: str) -> bytes:
    """Windows-1258 bytes as Vietnamese Windows wrote them: "ậ" is "â" plus a combining dot below."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", text):
        if out and unicodedata.combining(ch) and ch not in TONE_MARKS:
            # vowel marks (circumflex, breve, horn) join the base letter; tones follow it
            tones = ""
            while out and out[-1] in TONE_MARKS:
                tones = out.pop() + tones
            out[-1] = unicodedata.normalize("NFC", out[-1] + ch)
            out.extend(tones)
        else:
            out.append(ch)
    return "".join(out).encode("cp1258")


SEED = sorted(SEEDS.glob("001_*.txt"))[0]


@pytest.mark.parametrize("encode, warning", [
    (lambda s: s.encode("utf-8"), None),
    (lambda s: codecs.BOM_UTF8 + s.encode("utf-8"), None),
    (lambda s: s.encode("utf-16"), "decoded as utf-16"),        # with BOM
    (lambda s: s.encode("utf-16-le"), "decoded as utf-16-le"),  # without BOM
    (lambda s: s.encode("utf-16-be"), "decoded as utf-16-be"),
    (to_cp1258, "decoded as cp1258"),
], ids=["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1258"])
def test_txt_encodings(tmp_path, encode, warning):
    raw = SEED.read_text(encoding="utf-8")
    path = _write(tmp_path / "seed.txt", encode(raw))
    st = read_document(path)
    assert st.text == source_from_text(raw).text
    assert "KẾ HOẠCH" in st.text
    assert (warning in st.warnings) if warning else not st.warnings
    assert_well_formed(st)


@pytest.mark.parametrize("suffix", [".docx", ".pdf", ".txt"])
def test_empty_file_every_reader(tmp_path, suffix):
    with pytest.raises(DocumentLoadError) as err:
        read_document(_write(tmp_path / f"empty{suffix}", b""))
    assert (err.value.stage, err.value.reason) == ("read", "empty file")


# -- normalize_lines' shortcut (issue 6) --

def test_every_character_the_scans_look_for_is_unprintable():
    """normalize_lines skips strip_control and the odd-space pass for a text whose only unprintable
    characters are line breaks: that holds only if every character they find is unprintable."""
    from kehoach.ingest import normalize

    for rx in (normalize._CTRL, normalize._ODD_SPACE):
        found = [chr(c) for c in range(0x110000) if rx.match(chr(c))]
        assert found and not any(ch.isprintable() for ch in found), rx.pattern


@settings(max_examples=300)
@given(raw=st.one_of(st.text(max_size=60),
                     st.text(alphabet="ab \u1ea1\u0301\n\r\t\x00\x1f\x7f\u00a0\u2003\u200b\u200c\u2028\u202f\u3000"
                                      "\ufeff*_[]bookmark:", max_size=40)))
def test_normalize_lines_gives_what_the_steps_give(raw):
    from kehoach.ingest.normalize import LINE_STEPS, newlines, normalize_lines, normalize_text

    assert normalize_lines(raw) == normalize_text(newlines(raw), LINE_STEPS).split("\n")

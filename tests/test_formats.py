"""Formats beyond .txt/.docx/text PDF: .doc, Word HTML, legacy fonts, OCR, system tools.

Real files from ../shared/corpus/real are copied in tests/fixtures/formats/
(030 and 042 cut to their first pages). Tests that need LibreOffice or
Tesseract skip where the tool is absent (CI installs them: `make sysdeps`);
the behaviour without the tools is tested everywhere by hiding them
($KEHOACH_SOFFICE etc. set to "").
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from kehoach.cli import app
from kehoach.ingest import DocumentLoadError, legacy, read_ahead, read_document, systools
from kehoach.ingest.pdf import text_layer_problem
from kehoach.ingest.vietnamese import is_syllable, text_stats

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from wordiff import word_diff  # noqa: E402

FIX = Path(__file__).parent / "fixtures"
FORMATS = FIX / "formats"
DATA = ROOT / "kehoach" / "ingest" / "data"

DOC_TCVN3 = FORMATS / "024_QD_256-2004-QD-UB_CanTho_CCHC_TCVN3.doc"
DOC_VNI = FORMATS / "025_QD_991-QD-UBND_BinhPhuoc_14-5-2008_KH_rung_VNI.doc"
DOC_UNICODE = FORMATS / "001_KH_STTTT_PhuTho_2011_dao_tao_QLVB.doc"
HTM_032 = FORMATS / "032_KH_16-KH-MTTQ-BTT_xa_LuongMinh_18-11-2025_bau_cu_WordHTML.htm"
DOCX_031 = FIX / "real" / "031_KH_16-KH-MTTQ-BTT_xa_LuongMinh_18-11-2025_bau_cu.docx"
PDF_TCVN3 = FORMATS / "030_BC_KH_2005_TCVN3_textlayer_p1-2.pdf"
PDF_BAD_OCR = FORMATS / "042_CV_SGDDT-CTrTT_DaNang_scan_badOCRlayer_p1.pdf"
JPG_045 = FORMATS / "045_CV_1906-SGDDT-CTrTT_DaNang_26-7-2020_page1.jpg"

HAS_LO = systools.find("libreoffice") is not None
HAS_ANTIWORD = systools.find("antiword") is not None
HAS_OCR = systools.tesseract_has("vie")
needs_lo = pytest.mark.skipif(not HAS_LO, reason="LibreOffice not installed (make sysdeps)")
needs_antiword = pytest.mark.skipif(not HAS_ANTIWORD, reason="antiword not installed (make sysdeps)")
needs_ocr = pytest.mark.skipif(not HAS_OCR, reason="Tesseract with vie not installed (make sysdeps)")

HIDE_ALL = {"KEHOACH_SOFFICE": "", "KEHOACH_ANTIWORD": "", "KEHOACH_TESSERACT": ""}


@pytest.fixture
def no_tools(monkeypatch):
    for k, v in HIDE_ALL.items():
        monkeypatch.setenv(k, v)


# ---------------------------------------------------------------------------
# data files: every example in them holds
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["legacy_tcvn3.json", "legacy_vni.json"])
def test_legacy_table_examples(name):
    table = json.loads((DATA / name).read_text(encoding="utf-8"))
    for mojibake, unicode_text in table["examples"]:
        assert legacy.decode(mojibake, table["encoding"]) == unicode_text
        assert legacy.choose_encoding(mojibake) == table["encoding"]
        assert legacy.choose_encoding(unicode_text) is None


def test_legacy_font_examples():
    data = json.loads((DATA / "legacy_fonts.json").read_text(encoding="utf-8"))
    for entry in data["encodings"]:
        for font in entry["examples"]:
            assert legacy.font_encoding(font) == entry["encoding"], font
    for font in data["not_legacy_examples"]:
        assert legacy.font_encoding(font) is None, font
    assert all(legacy.font_is_upper(f) for f in data["upper"]["examples"])
    assert not any(legacy.font_is_upper(f) for f in data["upper"]["counterexamples"])


def test_syllable_examples():
    data = json.loads((DATA / "vi_syllables.json").read_text(encoding="utf-8"))
    assert [w for w in data["examples"]["valid"] if not is_syllable(w)] == []
    assert [w for w in data["examples"]["invalid"] if is_syllable(w)] == []


@pytest.mark.skipif(not (shutil.which("iconv") and shutil.which("recode")), reason="iconv/recode not installed")
def test_generated_tables_are_what_the_generator_makes():
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_legacy_tables.py"), "--check"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


# ---------------------------------------------------------------------------
# legacy detection never touches Unicode text
# ---------------------------------------------------------------------------

def _unicode_fixture_lines() -> list[str]:
    lines: list[str] = []
    for p in sorted((FIX / "seeds").glob("*.txt")) + sorted((FIX / "real").glob("*.txt")):
        lines.extend(ln for ln in p.read_text(encoding="utf-8").splitlines() if ln.strip())
    return lines


def test_unicode_fixture_text_is_never_converted():
    lines = _unicode_fixture_lines()
    assert len(lines) > 500
    changed = [ln for ln in lines if legacy.fix_text(ln)[1] is not None]
    assert changed == []
    # also as Word runs whose font claims a legacy encoding: Unicode letters win
    for ln in lines[:300]:
        for enc in legacy.ENCODINGS:
            if legacy.is_unicode_vietnamese(ln):
                assert legacy.fix_runs([legacy.Run(ln, enc)])[0] == ln


VI_LETTERS = "aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=VI_LETTERS + VI_LETTERS.upper() + " ,.-0123456789", min_size=1, max_size=12),
                min_size=1, max_size=12))
def test_text_with_a_unicode_vietnamese_letter_is_left_alone(parts):
    text = " ".join(parts) + " ơ"  # at least one letter no legacy encoding produces
    assert legacy.choose_encoding(text) is None
    assert legacy.choose_encoding(text, "tcvn3") is None
    assert legacy.fix_runs([legacy.Run(text, "vni")])[0] == text


@pytest.mark.parametrize("text, hint, expected", [
    # snippets of 026, which mixes the two encodings in one document
    ("KÕ ho¹ch tæng thÓ ph¸t triÓn CNTT tØnh L©m §ång", None, "Kế hoạch tổng thể phát triển CNTT tỉnh Lâm Đồng"),
    ("THUÛ TÖÔÙNG CHÍNH PHUÛ", "vni", "THỦ TƯỚNG CHÍNH PHỦ"),
    ("Chuû tòch UBND tænh", None, "Chủ tịch UBND tỉnh"),
    # a run whose font name says TCVN3 but whose text is VNI (026, "VNSTCVN3" font)
    ("Maùy queùt Sanner Color Page HR5 Pro 30 bit", "tcvn3", "Máy quét Sanner Color Page HR5 Pro 30 bit"),
    # capitals word: TCVN3 has no capital toned letters (026 table of contents)
    ("MôC LôC", "tcvn3", "MỤC LỤC"),
    ("§Ó", "tcvn3", "Để"),
    # plain Latin-1 Vietnamese is already Unicode
    ("Cà Mau và Hà Nam", None, "Cà Mau và Hà Nam"),
    ("Lotus Notes, Windows NT", None, "Lotus Notes, Windows NT"),
])
def test_fix_text_cases(text, hint, expected):
    assert legacy.fix_text(text, hint)[0] == expected


def test_runs_decode_across_run_boundaries_and_keep_context():
    # VNI "sở" typed as "sô" + "û" lands in two Word runs
    text, encs = legacy.fix_runs([legacy.Run("Trung taâm sô", "vni"), legacy.Run("û Haø Noäi", "vni")])
    assert (text, encs) == ("Trung tâm sở Hà Nội", {"vni"})
    # "Coäng" alone reads as a syllable in both encodings: the last clear decision settles it
    ctx = legacy.LegacyContext()
    legacy.fix_runs([legacy.Run("Maùy queùt vaø maùy in", "tcvn3")], ctx)
    assert legacy.fix_runs([legacy.Run("Coäng", "tcvn3")], ctx)[0] == "Cộng"
    # capitals-only font (.VnTimeH): lower-case codes print as capitals
    assert legacy.fix_runs([legacy.Run("Céng hoµ x· héi", "tcvn3", upper=True)])[0] == "CỘNG HOÀ XÃ HỘI"



@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="aăđơưệ Cé§µ·\xadÑäø-\u2013", max_size=12),
       st.sampled_from([None, "tcvn3", "vni"]))
def test_plain_unicode_is_fix_runs_fast_path(text, last):
    """plain_unicode gives what fix_runs makes of one font-less piece, context included, or None
    where fix_runs would judge an encoding."""
    ctx, ref = legacy.LegacyContext(), legacy.LegacyContext()
    ctx.last[None] = ref.last[None] = last
    fast = legacy.plain_unicode(text, ctx)
    expected = legacy.fix_runs([text], ref)
    if fast is None:
        assert legacy.has_legacy_chars(text) and not legacy.is_unicode_vietnamese(text)
    else:
        assert (fast, set(), ctx.last) == (*expected, ref.last)


# ---------------------------------------------------------------------------
# .doc through LibreOffice (one conversion call for the three files)
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def docs():
    if not HAS_LO:
        pytest.skip("LibreOffice not installed (make sysdeps)")
    read_ahead([DOC_TCVN3, DOC_VNI, DOC_UNICODE])
    return {p.name[:3]: read_document(p) for p in (DOC_TCVN3, DOC_VNI, DOC_UNICODE)}


@pytest.mark.parametrize("key, doc, transcript", [
    ("024", DOC_TCVN3, "024_QD_256-2004-QD-UB_CanTho_CCHC_TCVN3.txt"),
    ("025", DOC_VNI, "025_QD_991-QD-UBND_BinhPhuoc_14-5-2008_KH_rung_VNI.txt"),
])
def test_legacy_doc_matches_transcript(docs, key, doc, transcript):
    st = docs[key]
    errors, words = word_diff(st.text, (FORMATS / transcript).read_text(encoding="utf-8"))
    assert words > 500
    assert errors / words <= 0.01, f"{errors} of {words} words differ"
    assert st.route == "libreoffice+docx" and st.format == "doc"
    assert st.encodings == {"024": ["tcvn3"], "025": ["vni"]}[key]


def test_tcvn3_doc_reads_as_printed(docs):
    text = docs["024"].text
    # the header is in .VnTimeH (capitals font); ư sits on the soft-hyphen byte
    assert text.startswith("ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    assert "Số: 256 /2004/QĐ-UB TP.Cần Thơ, ngày 01 tháng 7 năm 2004" in text
    assert "Chương trình Cải cách hành chính" in text
    assert "\xad" not in text


def test_vni_doc_record(docs):
    from kehoach.extract import extract_record

    rec = extract_record(docs["025"])
    assert rec.number == "991/QĐ-UBND"
    assert rec.source.route == "libreoffice+docx" and rec.source.encodings == ["vni"]


def test_unicode_doc_is_not_decoded(docs):
    st = docs["001"]
    assert st.encodings == []
    assert "Phú Thọ, ngày tháng 12 năm 2011" in st.text
    assert "SỞ THÔNG TIN VÀ TRUYỂN THÔNG" in st.text
    # the schedule table comes out as cells
    assert any(b.kind == "cell" for b in st.blocks)


@needs_lo
def test_doc_with_a_hostile_name(tmp_path):
    hostile = tmp_path / "-rf --outdir=x; $(touch pwned) 'q\".doc"
    hostile.write_bytes(DOC_VNI.read_bytes())
    st = read_document(hostile)
    assert "Độc lập - Tự do - Hạnh phúc" in st.text
    assert st.path == str(hostile)
    assert sorted(p.name for p in tmp_path.iterdir()) == [hostile.name]


@needs_lo
def test_damaged_doc_is_a_classified_error(tmp_path):
    bad = tmp_path / "bad.doc"
    bad.write_bytes(DOC_VNI.read_bytes()[:4096])  # OLE2 header, body cut off
    with pytest.raises(DocumentLoadError) as err:
        read_document(bad)
    assert err.value.stage in ("convert", "read", "parse")


@pytest.mark.parametrize("data, reason", [
    (b"", "empty file"),
    (b"just some text that is not a Word file" * 10, "not a Word .doc file"),
])
def test_not_a_doc(tmp_path, data, reason):
    p = tmp_path / "x.doc"
    p.write_bytes(data)
    with pytest.raises(DocumentLoadError) as err:
        read_document(p)
    assert reason in err.value.reason


def test_docx_named_doc_is_read_as_docx(tmp_path):
    p = tmp_path / "renamed.doc"
    p.write_bytes(DOCX_031.read_bytes())
    st = read_document(p)
    assert "Lương Minh, ngày 18 tháng 11 năm 2025" in st.text
    assert "a .docx file named .doc" in st.warnings


@needs_antiword
def test_antiword_fallback_decodes_legacy_by_statistics(monkeypatch):
    monkeypatch.setenv("KEHOACH_SOFFICE", "")
    st = read_document(DOC_VNI)
    assert st.route == "antiword" and st.encodings == ["vni"]
    assert "QUYẾT ĐỊNH" in st.text and "Đồng Xoài, ngày 14 tháng5 năm 2008" in st.text
    errors, words = word_diff(st.text, (FORMATS / "025_QD_991-QD-UBND_BinhPhuoc_14-5-2008_KH_rung_VNI.txt")
                              .read_text(encoding="utf-8"))
    assert errors / words <= 0.02


def test_doc_without_any_tool_names_the_install_command(no_tools):
    with pytest.raises(DocumentLoadError) as err:
        read_document(DOC_VNI)
    e = err.value
    assert e.stage == "tool"
    assert "needs LibreOffice (or antiword)" in e.reason
    assert "apt-get install -y --no-install-recommends libreoffice-writer-nogui" in e.hint
    assert "antiword" in e.hint


# ---------------------------------------------------------------------------
# Word HTML
# ---------------------------------------------------------------------------

def test_word_html_reads_like_the_docx():
    html = read_document(HTM_032)
    docx = read_document(DOCX_031)
    assert html.format == "html" and html.route == "html"
    # windows-1252 page with &#NNN; entities: same words as the .docx, in the same order
    errors, words = word_diff(html.text, docx.text)
    assert words > 3000 and errors == 0
    assert "Số: 16/KH-MTTQ-BTT" in html.text
    assert any(b.kind == "cell" for b in html.blocks)


@pytest.mark.parametrize("body, charset, expected", [
    ("<p>Ph&#432;&#417;ng &aacute;n</p><p>S&#7889; 12</p>", "windows-1252", ["Phương án", "Số 12"]),
    ("<p>Hà Nội</p>", "utf-8", ["Hà Nội"]),
    ("<table><tr><td>STT</td><td>N&#7897;i dung</td></tr><tr><td>1</td><td>A<br>B</td></tr></table><p>Sau</p>",
     "windows-1252", ["STT", "Nội dung", "1", "A\nB", "Sau"]),
    # a legacy font named in the span's style
    ("<p><span style=\"font-family:'.VnTime'\">C\xe9ng h\xdfa</span></p>", "windows-1252", ["Cộng hòa"]),
])
def test_html_cases(tmp_path, body, charset, expected):
    p = tmp_path / "x.htm"
    page = f'<html><head><meta http-equiv=Content-Type content="text/html; charset={charset}"></head>' \
           f"<body>{body}</body></html>"
    p.write_bytes(page.encode("utf-8" if charset == "utf-8" else "cp1252"))
    st = read_document(p)
    assert [st.text[b.start:b.end] for b in st.blocks if b.kind in ("paragraph", "cell")] == expected


# ---------------------------------------------------------------------------
# PDF text layers: legacy decoding and the quality check
# ---------------------------------------------------------------------------

def test_tcvn3_pdf_text_layer_is_decoded():
    st = read_document(PDF_TCVN3)
    assert st.route == "pdf-legacy" and st.encodings == ["tcvn3"]
    assert [p.method for p in st.pages] == ["legacy", "legacy"]
    assert st.text.startswith("Báo cáo\nTình hình thực hiện nhiệm vụ kế hoạch năm 2004")
    assert "bước tiến mới về chất" in st.text
    assert text_stats(st.text).valid_share > 0.95


@pytest.mark.parametrize("text, scanned, problem", [
    ("", False, "no text layer"),
    ("Quốc hội khoá XI tại kỳ họp thứ 4 đã thông qua mục tiêu tổng quát về nhiệm vụ năm 2004 nhằm bảo đảm "
     "phát triển kinh tế nhanh với bước tiến mới", True, None),
    # 042's embedded OCR layer: made without the Vietnamese model
    ("CONG Hcok xA HQI CHiJ NGHiA VIET NAM Doc lap Tu do Hanh phuc Thuc hien Cong van so 2114 cua Bo GD "
     "ve viec dam bao trat tu an toan giao thong cho hoc sinh sinh vien trong dip nghi he", True,
     "OCR layer of a scan is not readable Vietnamese"),
    # the same words without diacritics in a born-digital PDF are left alone
    ("Thuc hien Cong van so 2114 cua Bo ve viec dam bao trat tu an toan giao thong cho hoc sinh sinh vien "
     "trong dip nghi he nam nay", False, None),
])
def test_text_layer_problem(text, scanned, problem):
    got = text_layer_problem(text, scanned=scanned)
    assert (got is None) if problem is None else got.startswith(problem)


def test_scanned_pdf_without_tesseract_names_the_install_command(no_tools, tmp_path):
    from tests.test_ingest import SCANNED_PAGE, make_pdf

    p = tmp_path / "scan.pdf"
    p.write_bytes(make_pdf([SCANNED_PAGE]))
    with pytest.raises(DocumentLoadError) as err:
        read_document(p)
    assert err.value.stage == "tool"
    assert "OCR needs tesseract" in err.value.reason
    assert "tesseract-ocr tesseract-ocr-vie" in err.value.hint


def test_bad_ocr_layer_is_kept_with_a_warning_without_tesseract(no_tools):
    st = read_document(PDF_BAD_OCR)
    assert [p.method for p in st.pages] == ["text"]
    assert st.pages[0].note.startswith("OCR layer of a scan is not readable Vietnamese")
    assert any("tesseract not installed" in w for w in st.warnings)


@pytest.fixture(scope="module")
def ocr_042():
    if not HAS_OCR:
        pytest.skip("Tesseract with vie not installed (make sysdeps)")
    return read_document(PDF_BAD_OCR)


def test_bad_ocr_layer_is_replaced_by_ocr(ocr_042):
    st = ocr_042
    page = st.pages[0]
    assert st.route == "ocr" and page.method == "ocr"
    assert page.confidence is not None and page.confidence > 80
    assert "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM" in st.text
    assert "Thực hiện Công văn số 2114/BGDĐT-GDCTHSSV ngày 16/5/2019" in st.text
    stats = text_stats(st.text)
    assert stats.valid_share > 0.85 and stats.marked_share > 0.6


def test_ocr_page_reaches_the_record(ocr_042):
    from kehoach.extract import extract_record

    rec = extract_record(ocr_042)
    assert rec.source.route == "ocr"
    assert [(p.page, p.method) for p in rec.source.page_sources] == [(1, "ocr")]
    assert rec.source.page_sources[0].confidence > 80
    assert rec.to_json_dict()["source"]["page_sources"][0]["method"] == "ocr"


# ---------------------------------------------------------------------------
# images
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ocr_045():
    if not HAS_OCR:
        pytest.skip("Tesseract with vie not installed (make sysdeps)")
    return read_document(JPG_045)


def test_page_image_is_ocrd(ocr_045):
    st = ocr_045
    assert st.format == "image" and st.route == "ocr"
    assert [p.method for p in st.pages] == ["ocr"] and st.pages[0].confidence > 50
    assert "Kính gửi:" in st.text
    assert re.search(r"Số: ?1906 ?/SGDĐT-CTrTT", st.text)
    assert "Phòng giáo dục và đào tạo các quận, huyện;" in st.text


def test_image_without_tesseract(no_tools):
    with pytest.raises(DocumentLoadError) as err:
        read_document(JPG_045)
    assert err.value.stage == "tool" and "tesseract-ocr-vie" in err.value.hint


def test_not_an_image(tmp_path):
    p = tmp_path / "x.jpg"
    p.write_bytes(b"GIF89a but not really an image" * 10)
    with pytest.raises(DocumentLoadError) as err:
        read_document(p)
    assert err.value.stage in ("parse", "tool")


def test_tesseract_tsv_parsing():
    from kehoach.ingest.ocr import parse_tsv

    head = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
    rows = [(5, 1, 1, 1, 1, "90", "Kính"), (5, 1, 1, 1, 1, "80", "gửi:"), (5, 1, 2, 1, 1, "70", "Số"),
            (4, 1, 2, 1, 1, "-1", ""), (5, 1, 2, 2, 1, "-1", " ")]
    tsv = head + "".join(f"{lv}\t{pg}\t{b}\t{pa}\t{ln}\t1\t0\t0\t1\t1\t{c}\t{t}\n"
                         for lv, pg, b, pa, ln, c, t in rows)
    page = parse_tsv(tsv, 3)
    assert page.paragraphs == [["Kính gửi:"], ["Số"]]
    # weighted by length: (90*4 + 80*4 + 70*2) / 10
    assert page.confidence == pytest.approx(82.0)


# ---------------------------------------------------------------------------
# CLI: text and doctor
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def test_text_command_prints_the_normalized_text(runner):
    res = runner.invoke(app, ["text", str(PDF_TCVN3)])
    assert res.exit_code == 0
    assert res.stdout.startswith("Báo cáo\nTình hình thực hiện nhiệm vụ kế hoạch năm 2004\n")
    assert res.stdout == read_document(PDF_TCVN3).text + "\n"
    assert "route pdf-legacy, legacy encoding decoded: tcvn3" in res.stderr
    assert "page 1: legacy" in res.stderr


def test_text_command_json(runner):
    res = runner.invoke(app, ["text", str(HTM_032), "--format", "json"])
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert data["format"] == "html" and data["route"] == "html" and data["pages"] == []
    assert data["text"].startswith("ỦY BAN MTTQ VIỆT NAM")


def test_text_command_missing_tool_is_an_error_not_a_traceback(runner):
    res = runner.invoke(app, ["text", str(DOC_VNI)], env=HIDE_ALL)
    assert res.exit_code == 1
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert "Error:" in res.stderr and "needs LibreOffice (or antiword)" in res.stderr
    assert "apt-get install -y --no-install-recommends libreoffice-writer-nogui" in res.stderr
    assert "Traceback" not in res.output


def test_doctor_reports_missing_tools_with_install_commands(runner):
    res = runner.invoke(app, ["doctor"], env=HIDE_ALL)
    assert res.exit_code == 0
    out = res.stdout
    for tool, pkgs in (("libreoffice", "libreoffice-writer-nogui"), ("antiword", "antiword"),
                       ("tesseract", "tesseract-ocr tesseract-ocr-vie")):
        assert re.search(rf"^{tool}\s+MISSING", out, re.M), out
        assert f"apt-get install -y --no-install-recommends {pkgs}" in out
    assert "3 missing" in out


def test_doctor_json(runner):
    res = runner.invoke(app, ["doctor", "--format", "json"])
    assert res.exit_code == 0
    rows = {r["tool"]: r for r in json.loads(res.stdout)}
    assert set(rows) == {"libreoffice", "antiword", "tesseract"}
    assert rows["libreoffice"]["found"] is HAS_LO
    assert rows["tesseract"]["found"] is HAS_OCR
    assert all((r["install"] is None) == r["found"] for r in rows.values())


@pytest.mark.parametrize("command", ["text", "doctor"])
def test_new_commands_have_an_example(runner, command):
    res = runner.invoke(app, [command, "--help"])
    assert res.exit_code == 0 and "Example:" in res.stdout


def test_sysdeps_cover_every_tool():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    line = next(ln for ln in makefile.splitlines() if ln.startswith("SYSDEPS :="))
    assert set(systools.all_packages()) <= set(line.split(":=")[1].split())
    assert "make sysdeps" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_nfc_everywhere_in_new_readers():
    for p in (PDF_TCVN3, HTM_032):
        text = read_document(p).text
        assert unicodedata.normalize("NFC", text) == text


@needs_lo
def test_libreoffice_timeout_is_reported_and_the_process_group_killed():
    from kehoach.ingest import libreoffice

    res = libreoffice.convert(systools.find("libreoffice"), [DOC_VNI], "docx", timeout=0.3)
    try:
        assert res.timed_out
        assert res.errors[DOC_VNI].startswith("LibreOffice did not finish within 0 s") or \
            "did not finish" in res.errors[DOC_VNI]
        assert res.outputs == {}
    finally:
        res.cleanup()

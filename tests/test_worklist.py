"""Work items written as fields or tables, events, participants and deadline owners, on real documents.

Each case quotes a real fixture (tests/fixtures/real); ``quote`` checks that the
quoted lines are in the fixture's normalized text, so the cases stay the genre's
own text. Expectations follow the gold records in tests/fixtures/gold/real.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from kehoach.evaluate import fuzzy_eq
from kehoach.extract import body, worklist
from kehoach.extract.structure import split_lines
from kehoach.ingest.base import SourceText
from kehoach.ingest.text import source_from_text
from kehoach.pipeline import process_file
from kehoach.schema import PlanRecord

REAL = Path(__file__).resolve().parent / "fixtures" / "real"


def fixture(key: str) -> Path:
    (p,) = [p for p in REAL.iterdir() if p.name.startswith(key + "_")]
    return p


@lru_cache(maxsize=None)
def extracted(key: str) -> tuple[PlanRecord, SourceText]:
    return process_file(fixture(key))


def quote(key: str, *lines: str) -> str:
    """The lines joined, after checking that each is written in fixture ``key``."""
    _, source = extracted(key)
    for ln in lines:
        assert ln in source.text, f"not in {key}: {ln[:60]!r}"
    return "\n".join(lines)


def lines_of(raw: str):
    return split_lines(source_from_text(raw).text)


# --- labelled work items ---------------------------------------------------------------------------

ITEM_031 = (
    "2.1. Chuẩn bị các văn bản về nhân sự và tổ chức 3 Hội nghị hiệp thương công tác bầu cử đại biểu Quốc hội "
    "khóa XVI và đại biểu Hội đồng nhân dân các cấp nhiệm kỳ 2026-2031",
    "- Thời gian hoàn thành: Quý IV/2025 và Quý I/2026;",
    "- Đơn vị chủ trì: Đồng chí Phó chủ tịch Thường trực, phụ trách lĩnh vực Giám sát và Phản biện xã hội",
    "- Đơn vị phối hợp: Các đ/c Phó chỉ tịch, Trưởng đoàn thể xã, các đồng chí Chuyên viên cơ quan MTTQ xã.",
)


def test_lead_field_makes_a_work_item_031():
    (it,) = worklist.labelled_items(lines_of(quote("031", *ITEM_031)), 2025)
    assert [n for n, _, _ in it.leads] == [
        "Đồng chí Phó chủ tịch Thường trực, phụ trách lĩnh vực Giám sát và Phản biện xã hội"]
    assert it.role == "lead"
    assert it.coordinators == ["Các đ/c Phó chỉ tịch", "Trưởng đoàn thể xã",
                               "các đồng chí Chuyên viên cơ quan MTTQ xã"]
    assert [t for t, _, _ in it.tasks] == [ITEM_031[0][5:]]
    # the time field is one deadline: its last date
    assert it.due[0] == "2026-Q1"


def test_sibling_items_share_one_set_of_fields_031():
    raw = quote(
        "031",
        "3. Tổ chức theo dõi, tổng hợp, kiểm tra, giám sát công tác bầu cử của Ủy ban MTTQ Việt Nam xã",
        "3.2. Tổng hợp, báo cáo kịp thời các khó khăn, vướng mắc trong quá trình triển khai để kiến nghị cấp có "
        "thẩm quyền xem xét, giải quyết.",
        "3.3. Theo dõi, đôn đốc, tổng hợp, báo cáo về công tác bầu cử.",
        "- Thời gian thực hiện: Từ tháng 12/2025 đến quý I/2026.",
        "- Đơn vị chủ trì: Đồng chí Phó chủ tịch Thường trực, phụ trách lĩnh vực Giám sát và Phản biện xã hội",
    )
    (it,) = worklist.labelled_items(lines_of(raw), 2025)
    # the parent heading "3." is not a task; its items are
    assert [t for t, _, _ in it.tasks] == [
        "Tổng hợp, báo cáo kịp thời các khó khăn, vướng mắc trong quá trình triển khai để kiến nghị cấp có thẩm "
        "quyền xem xét, giải quyết",
        "Theo dõi, đôn đốc, tổng hợp, báo cáo về công tác bầu cử"]
    assert it.due[0] == "2026-Q1"


def test_record_031_has_one_lead_assignment_with_the_field_tasks():
    rec, _ = extracted("031")
    lead = [a for a in rec.assignments if a.assignee.startswith("Đồng chí Phó chủ tịch Thường trực")]
    assert len(lead) == 1 and lead[0].role == "lead"
    assert len(lead[0].tasks) >= 17  # every item of section II with these fields
    # deadlines written inside the items belong to the lead unit
    q1 = [d for d in rec.deadlines if d.date == "2026-Q1"]
    assert q1 and all(d.assignees == [lead[0].assignee] for d in q1)


def test_task_label_and_deadline_inside_item_033():
    rec, _ = extracted("033")
    # "1.1. Nội dung: Hiệp thương về cơ cấu …" under "Đơn vị chủ trì: Ban Công tác mặt trận thôn."
    first = next(d for d in rec.deadlines if d.date == "2025-12-10")
    assert first.assignees == ["Ban Công tác mặt trận thôn"]
    # "2.2. Báo cáo kết quả …" after the fields of 2.1 still belongs to 2.1's unit
    second = [d for d in rec.deadlines if d.date == "2026-02-03"]
    assert len(second) == 2 and all(d.assignees == ["Ban Thường trực Ủy ban MTTQ Việt Nam xã"] for d in second)


def test_unit_heading_over_task_bullets_is_the_whole_line_033():
    rec, _ = extracted("033")
    names = [a.assignee for a in rec.assignments]
    # "2. Các tổ chức thành viên của MTTQ xã": 'tổ chức' is a task verb elsewhere, here part of the name
    assert "Các tổ chức thành viên của MTTQ xã" in names
    assert "Cán bộ phụ trách lĩnh vực giám sát và phản biện xã hội" in names
    # "1. Hội nghị hiệp thương lần thứ nhất." is an activity, not a unit
    assert not any(n.startswith("Hội nghị") for n in names)


# --- tables ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("header, kind", [
    ("Tên nhiệm vụ", "task"), ("Sở, ngành chủ trì tham mưu", "lead"), ("Đơn vị phối hợp thực hiện", "coord"),
    ("Thời gian thực hiện", "time"), ("Ghi chú", None), ("TT", None), ("Nhiệm vụ thực hiện", "task"),
    ("Người thực hiện", "lead"),
])
def test_table_columns(header, kind):
    assert worklist.column_kind(header) == kind


def test_table_rows_join_the_units_assignments_010():
    rec, _ = extracted("010")
    snmt = next(a for a in rec.assignments if a.assignee == "Sở Nông nghiệp và Môi trường")
    # a row of the table "Tên nhiệm vụ | Sở, ngành chủ trì tham mưu | … | Thời gian thực hiện"
    assert any(t.startswith("Rà soát, điều chỉnh, cập nhật bổ sung phương án quản lý về địa chất")
               for t in snmt.tasks)
    by_date = {d.date: d for d in rec.deadlines if d.text in ("tháng 5/2026", "năm 2026")}
    assert by_date["2026-05"].assignees == ["Sở Nông nghiệp và Môi trường"]
    assert by_date["2026"].assignees == ["Sở Nông nghiệp và Môi trường"]  # "Trong năm 2026"
    # "Các Sở, ban, ngành; UBND các xã, phường": one unit per ';', commas stay inside a name
    q2 = next(d for d in rec.deadlines if d.text == "Quý II/2026" and len(d.assignees) == 2)
    assert q2.assignees == ["Các Sở, ban, ngành", "UBND các xã, phường"]


def test_people_table_012():
    rec, _ = extracted("012")
    by_name = {a.assignee: a for a in rec.assignments}
    # "Người thực hiện" column: each person is responsible for the rows naming them
    assert by_name["Vũ Việt Linh"].role == "responsible"
    assert len(by_name["Vũ Việt Linh"].tasks) == 6
    assert by_name["Đỗ Mạnh Cường"].tasks == ["Xây dựng tài liệu huấn luyện, bài kiểm tra, đáp án",
                                               "Tổ chức huấn luyện, kiểm tra", "Trình ký Quyết định, chứng chỉ"]
    # "1. Giao phòng Quản lý công nghiệp tổ chức …": 'Quản lý' is capitalised inside the name
    assert "Phòng Quản lý công nghiệp" in by_name


# --- deadline owners outside work items -------------------------------------------------------------


def test_deadline_owner_is_the_subject_of_its_paragraph_052():
    rec, _ = extracted("052")
    owners = {tuple(d.assignees) for d in rec.deadlines if d.date == "2026"}
    assert ("Ban Quản lý Khu kinh tế",) in owners  # "… chủ trì, …. Xây dựng …, hoàn thành trong năm 2026."
    assert ("Ban Quản lý Khu kinh tế và Ban Quản lý các Khu công nghiệp tỉnh",) in owners


@pytest.mark.parametrize("key, text, owner", [
    # the sentence opens with the units; the deadline stands in brackets before the verb ("định kỳ")
    ("010", "trước ngày 10/12", "Các Sở, ngành, địa phương"),
    # the sentence opens with no unit; the task is handed to one inside it ("… và giao Ủy ban nhân dân …")
    ("016", "hoàn thành chậm nhất đến ngày 01 tháng 7 năm 2028",
     "Ủy ban nhân dân các tỉnh, thành phố trực thuộc Trung ương"),
    # a bullet of "9. Ủy ban nhân dân cấp xã" that names its own unit: the deadline is that unit's
    ("052", "hoàn thành phê duyệt phương án trong năm 2026", "Ủy ban nhân dân phường Yên Bái"),
    # a bullet that opens in lower case after ";" names no unit: the item's unit keeps it
    ("035", "trước ngày 18/3/2026", "Ban Thường trực Ủy ban MTTQ Việt Nam xã Lương Minh"),
])
def test_deadline_owner_in_its_sentence(key, text, owner):
    rec, src = extracted(key)
    owners = [d.assignees for d in rec.deadlines if text in src.text[max(0, d.span[0] - 60):d.span[1]]]
    assert [owner] in owners, owners


def test_sentence_subject_needs_a_unit():
    text = quote("052", "Ban Quản lý Khu kinh tế và Ban Quản lý các Khu công nghiệp tỉnh triển khai")
    assert body.sentence_subject(text + " xây dựng", len(text)) == \
        "Ban Quản lý Khu kinh tế và Ban Quản lý các Khu công nghiệp tỉnh"
    assert body.sentence_subject("Việc di dời thực hiện theo quy định", 30) is None


# --- events and participants -----------------------------------------------------------------------


def test_phases_are_events_035():
    rec, _ = extracted("035")
    starts = [(e.start, e.end) for e in rec.events]
    assert ("2025-12-05", "2026-02-20") in starts  # "1. Đợt 1: Từ ngày 05/12/2025 đến ngày 20/02/2026:"
    assert ("2026-02-23", "2026-03-14") in starts


def test_schedule_lines_with_the_date_as_label_039():
    rec, _ = extracted("039")
    assert sorted(e.start for e in rec.events) == ["2026-02-04", "2026-02-05"]
    second = next(e for e in rec.events if e.start == "2026-02-05")
    assert second.end == "2026-02-08"  # "- Từ ngày 05/02/2026 - 08/02/2026: …"


def test_event_named_by_its_heading_and_due_fields_not_events_033_031():
    rec, _ = extracted("033")
    assert [(e.name, e.start) for e in rec.events][:1] == [("Hội nghị hiệp thương lần thứ nhất", "2025-12-05")]
    rec31, _ = extracted("031")
    assert rec31.events == []  # "- Thời gian hoàn thành: …" lines are deadlines


def test_inline_participants_with_chair_033():
    rec, _ = extracted("033")
    names = [(p.name, p.role) for p in rec.participants]
    assert ("Ban Công tác mặt trận thôn", "chair") in names  # "… Ban Công tác mặt trận thôn (Chủ trì) và …"
    assert ("Cử tri các thôn", None) in names
    # the three conferences list mostly the same units: each once
    assert len([n for n, _ in names if n.startswith("Ban Thường trực Ủy ban MTTQ xã")]) == 1


def test_target_group_label_012():
    rec, _ = extracted("012")
    (p,) = rec.participants
    assert fuzzy_eq(p.name, "Người quản lý VLNCN của các đơn vị hoạt động VLNCN trên địa bàn tỉnh Lào Cai")


def test_count_cases_are_not_participants_039():
    rec, _ = extracted("039")
    assert not any(p.name.startswith("Đối với nơi") for p in rec.participants)


# --- layout text and numbered implementation headings ----------------------------------------------


def test_number_broken_at_its_dash_is_one_number_013():
    raw = quote("013", "- Tổ chức kiểm tra đúng trình tự, thủ tục theo Nghị định số 217/2025/NĐ-",
                "CP ngày 05/8/2025 của Chính phủ Quy định về hoạt động kiểm tra chuyên ngành")
    (ln,) = lines_of(raw)
    assert "217/2025/NĐ-\nCP" in raw and ln.text.count("217/2025/NĐ- CP") == 1
    rec, _ = extracted("013")
    assert "217/2025/NĐ-CP" in [c.number for c in rec.references]


# 049 is a short letter: header, recipients and signature make most of its lines short, but its
# long lines stop mid-sentence ("… phối hợp với Sở" / "Nông nghiệp và Môi trường triển khai …")
@pytest.mark.parametrize("key, wrapped", [("013", True), ("052", True), ("049", True), ("031", False)])
def test_hard_wrapped_text_is_recognised(key, wrapped):
    from kehoach.extract.structure import looks_hard_wrapped
    _, source = extracted(key)
    assert looks_hard_wrapped(source.text) is wrapped


def test_wrapped_line_opening_with_a_capital_continues_its_item_049():
    rec, _ = extracted("049")
    item = next(a for a in rec.assignments if a.assignee.startswith("Các sở, ban, ngành cấp tỉnh"))
    assert item.coordinators == ["Sở Nông nghiệp và Môi trường"]
    assert item.tasks[0].endswith("theo quy định tại Nghị định số 180/2026/NĐ-CP ngày 21/5/2026")


def test_numbered_assignment_heading_without_roman_sections_013():
    rec, _ = extracted("013")
    # "4. Phân công nhiệm vụ" / "4.1. Ông. Hoàng Văn Thuân - Trưởng đoàn: Phụ trách chung; …"
    names = [a.assignee for a in rec.assignments]
    assert names[:2] == ["Ông. Hoàng Văn Thuân - Trưởng đoàn", "Ông. Đỗ Mạnh Cường - Phó Trưởng đoàn"]
    # 016 "3. Tổ chức thực hiện" over paragraphs is an item, not a heading: its units stay assignees
    rec16, _ = extracted("016")
    assert len(rec16.assignments) >= 2

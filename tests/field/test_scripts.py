"""Standard visit scripts render, pass the phrase check, and the kit checklists match the seeds."""

from __future__ import annotations

import re

import pytest

from doorstep.field.phrases import check_text, load_rules
from doorstep.field.scripts import (
    MissingPlaceholder,
    get_script,
    kit_checklist,
    kit_checklists,
    placeholder_descriptions,
    placeholders,
    render_lines,
    render_script,
    script_steps,
)

VALUES = {
    "customer_name": "王女士",
    "technician_name": "李强",
    "employee_no": "1024",
    "company": "中国电信",
    "time": "今天14:00",
    "phone": "13800138000",
    "leave_time": "今天14:20",
    "reason": "交通",
    "delay_minutes": "20",
}
REQUIRED_STEPS = {
    "call",
    "pre_visit_call",
    "greeting",
    "consent",
    "not_home",
    "closing",
    "delay",
    "reschedule",
    "unreachable_sms",
}
RULES = load_rules()


def test_every_required_visit_step_has_a_script():
    assert set(script_steps()) >= REQUIRED_STEPS


@pytest.mark.parametrize("step", script_steps())
def test_every_script_renders_with_its_placeholders_filled(step):
    text = render_script(step, **VALUES)
    assert text
    assert "{" not in text and "}" not in text
    assert len(text.splitlines()) == len(get_script(step).lines)


@pytest.mark.parametrize("step", script_steps())
def test_every_rendered_script_passes_the_phrase_check(step):
    assert check_text(render_script(step, **VALUES), RULES) == []


@pytest.mark.parametrize("step", script_steps())
def test_every_script_template_passes_the_phrase_check_whatever_fills_it(step):
    for line in get_script(step).lines:
        assert check_text(re.sub(r"\{\w+\}", "，", line.text), RULES) == []


@pytest.mark.parametrize("step", script_steps())
def test_every_script_line_names_the_seed_it_quotes(step):
    for line in get_script(step).lines:
        assert line.seed and re.match(r"00[0-4] ", line.source)


def test_a_missing_placeholder_raises_a_key_error_naming_it():
    values = {k: v for k, v in VALUES.items() if k != "employee_no"}
    with pytest.raises(KeyError) as caught:
        render_script("greeting", **values)
    assert isinstance(caught.value, MissingPlaceholder)
    assert caught.value.placeholder == "employee_no"
    assert "{employee_no}" in str(caught.value)
    assert "greeting" in str(caught.value)


def test_every_missing_placeholder_is_listed_in_the_error():
    with pytest.raises(MissingPlaceholder) as caught:
        render_script("unreachable_sms", company="中国电信")
    assert caught.value.missing == ("technician_name", "phone")
    assert "{technician_name}" in str(caught.value) and "{phone}" in str(caught.value)


@pytest.mark.parametrize("blank", [None, "", "  "])
def test_a_blank_value_counts_as_missing(blank):
    with pytest.raises(MissingPlaceholder, match="phone"):
        render_script("unreachable_sms", **{**VALUES, "phone": blank})


def test_an_unknown_step_raises_a_key_error_listing_the_steps():
    with pytest.raises(KeyError, match="greeting"):
        render_script("goodbye", **VALUES)


def test_extra_values_are_ignored():
    assert render_script("consent", situation="disk_data", customer_name="王女士", foo="x") == (
        "对不起，王女士，这项操作涉及硬盘，请问您是否需要备份数据？"
    )


def test_every_placeholder_a_script_uses_is_documented():
    documented = set(placeholder_descriptions())
    used = {name for step in script_steps() for name in placeholders(step)}
    assert used <= documented
    assert {"customer_name", "technician_name", "employee_no", "company", "time", "phone"} <= used


def test_the_first_call_introduces_the_technician_and_confirms_the_time():
    text = render_script("call", **VALUES)
    assert text.startswith("您好，我是中国电信1024号服务人员，我叫李强。")
    assert "请问您是王女士吗？" in text
    assert "好的，我将会在今天14:00准时上门为您装机。" in text


def test_the_greeting_introduces_the_technician_by_employee_number_and_shows_the_card():
    lines = render_lines("greeting", **VALUES)
    assert lines[0] == "王女士，您好，我是中国电信1024号服务人员，我叫李强，很高兴见到您。"
    assert "这是我们的服务卡片。" in lines
    assert any("请问我可以进去吗" in line for line in lines)
    assert any("工号牌" in action for action in get_script("greeting").actions)


def test_consent_has_a_line_per_situation_and_renders_one_on_request():
    script = get_script("consent")
    assert script.situations == ("move_items", "drill_wall", "enter_room", "disk_data")
    assert len(render_lines("consent", **VALUES)) == 4
    (line,) = render_lines("consent", situation="drill_wall", **VALUES)
    assert "穿墙打孔" in line and line.startswith("对不起，王女士，")
    with pytest.raises(KeyError, match="move_items"):
        render_script("consent", situation="paint", **VALUES)


def test_the_not_home_note_has_the_fields_the_seeds_require():
    text = render_script("not_home", **VALUES)
    for field in (
        "到访时间：今天14:00",
        "离开时间：今天14:20",
        "联系人：李强",
        "联系电话：13800138000",
    ):
        assert field in text


def test_the_closing_words_ask_for_the_rating_and_say_goodbye():
    text = render_script("closing", **VALUES)
    assert "请问您对我们的服务是否满意？" in text
    assert "麻烦您在评议表上签上您的意见" in text
    assert text.endswith("王女士，打搅了，再见！")


def test_the_delay_and_reschedule_scripts_apologise_with_the_reason():
    assert "很抱歉，因为交通原因，我可能晚20分钟到您那儿了，可以吗？" in render_script(
        "delay", **VALUES
    )
    assert "请您再约定个时间好吗？" in render_script("reschedule", **VALUES)


def test_the_unreachable_sms_gives_the_callback_number():
    assert render_script("unreachable_sms", **VALUES) == (
        "您好，我是中国电信服务工程师李强，给您手机联系未接通，您看到短信与我们及时联系，"
        "联系电话13800138000，谢谢！"
    )


# --------------------------------------------------------------------------------------------
# Kit checklists
# --------------------------------------------------------------------------------------------


def labels(code: str) -> list[str]:
    return [item.label for item in kit_checklist(code).items]


def test_the_checklist_sets_are_the_ones_the_seeds_name():
    assert [c.name for c in kit_checklists()] == [
        "五个一",
        "五个一",
        "五个一",
        "七个一",
        "四统一四携带",
    ]
    assert all(c.source[:3] in {"000", "001", "002", "003"} for c in kit_checklists())


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("five_ones_tietong", ["服务卡片", "鞋套", "抹布", "说上一声请问", "征询一下意见"]),
        ("five_ones_broadband", ["鞋套", "垫布", "抹布", "垃圾袋", "服务记录表"]),
        ("five_ones_telecom", ["鞋套", "垫布", "抹布", "服务卡", "服务监督调查表"]),
        ("seven_ones", ["鞋套", "垫布", "抹布", "垃圾袋", "文件袋", "维护工具", "冗余备件"]),
        (
            "four_unified_four_carried",
            ["标志服", "工具包", "工号牌", "安全帽", "鞋套", "防尘布", "服务卡", "宣传单"],
        ),
    ],
)
def test_a_checklist_has_the_items_its_seed_lists(code, expected):
    checklist = kit_checklist(code)
    assert labels(code) == expected
    for item in checklist.items:
        assert item.quote in checklist.quote


def test_the_number_in_a_checklists_name_is_its_number_of_items():
    counts = {"五个一": 5, "七个一": 7, "四统一四携带": 8}
    for checklist in kit_checklists():
        assert len(checklist.items) == counts[checklist.name]


def test_four_unified_four_carried_groups_its_items_four_and_four():
    items = kit_checklist("four_unified_four_carried").items
    assert [i.group for i in items] == ["统一"] * 4 + ["携带"] * 4


def test_the_document_bag_lists_what_it_holds():
    (bag,) = [i for i in kit_checklist("seven_ones").items if i.code == "document_bag"]
    assert bag.contents == ("施工单", "标签贴", "用户使用手册")


def test_item_codes_are_stable_ascii_and_shared_between_checklists():
    label_by_code: dict[str, set[str]] = {}
    for checklist in kit_checklists():
        assert len(set(checklist.item_codes)) == len(checklist.items)
        for item in checklist.items:
            assert re.fullmatch(r"[a-z][a-z_]*", item.code)
            label_by_code.setdefault(item.code, set()).add(item.label)
    assert all("shoe_covers" in c.item_codes for c in kit_checklists())
    assert label_by_code["shoe_covers"] == {"鞋套"}
    assert label_by_code["service_card"] == {"服务卡", "服务卡片"}


def test_an_unknown_checklist_raises_a_key_error_listing_the_codes():
    with pytest.raises(KeyError, match="seven_ones"):
        kit_checklist("ten_ones")

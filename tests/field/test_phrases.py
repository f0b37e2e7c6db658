"""Banned phrases and rewordings are found in what technicians type, and ordinary messages pass."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from doorstep.field.phrases import (
    BANNED_FILE,
    REWORDINGS_FILE,
    Hit,
    PhraseRule,
    check_text,
    load_rules,
    suggest,
)

BANNED = json.loads(BANNED_FILE.read_text(encoding="utf-8"))
REWORDINGS = json.loads(REWORDINGS_FILE.read_text(encoding="utf-8"))["rewordings"]
BANNED_ENTRIES = [entry for cat in BANNED["categories"] for entry in cat["entries"]]
RULES = load_rules()


def hits(text: str, rules: list[PhraseRule] | None = None) -> list[Hit]:
    return check_text(text, RULES if rules is None else rules)


def bare(seed_phrase: str) -> str:
    """A seed quote as someone would say it: without the seed's trailing …… or full stop."""
    return seed_phrase.rstrip("…。.!！")


# --------------------------------------------------------------------------------------------
# The data
# --------------------------------------------------------------------------------------------


def test_the_banned_list_holds_every_quoted_phrase_of_seed_002():
    phrases = [entry["phrase"] for entry in BANNED_ENTRIES]
    assert len(phrases) == len(set(phrases)) == 17
    assert {"不知道", "不清楚", "这种现象可能不正常", "您的问题我无法解决,找有关部门吧"} <= set(
        phrases
    )
    assert {"就是这样", "我没办法"} <= set(phrases)


def test_every_banned_entry_has_phrase_source_and_suggestion_keys():
    for entry in BANNED_ENTRIES:
        assert {"phrase", "source", "suggestion", "patterns"} <= entry.keys()
        assert entry["source"].startswith("002 §")
        assert entry["patterns"]


def test_the_rewording_table_holds_the_thirteen_pairs_of_seed_002():
    assert len(REWORDINGS) == 13
    for entry in REWORDINGS:
        assert {"avoid", "say", "source", "patterns"} <= entry.keys()
        assert entry["source"].startswith("002 §")
    pairs = {(r["avoid"], r["say"]) for r in REWORDINGS}
    assert ("很抱歉让你久等", "非常感谢您的耐心等待") in pairs
    assert ("我试试看吧", "我一定尽力而为") in pairs


def test_a_banned_phrase_with_a_matching_rewording_links_its_suggestion():
    says_by_avoid = {r["avoid"]: r["say"] for r in REWORDINGS if "上门安装" in r["source"]}
    for entry in BANNED_ENTRIES:
        if entry["phrase"] in says_by_avoid:
            assert entry["suggestion"] == says_by_avoid[entry["phrase"]]
    linked = [e for e in BANNED_ENTRIES if e["suggestion"]]
    assert {e["phrase"] for e in linked} == {
        "就是这样",
        "我没办法",
        "您的问题我无法解决,找有关部门吧",
    }


# --------------------------------------------------------------------------------------------
# Catching
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", BANNED_ENTRIES, ids=lambda e: e["phrase"])
def test_every_banned_phrase_is_caught_when_embedded_in_a_sentence(entry):
    text = f"客户问起时，师傅回答：“{entry['phrase']}”，然后离开了。"
    found = hits(text)
    assert [(h.phrase, h.kind) for h in found] == [(entry["phrase"], "banned")]
    assert found[0].source == entry["source"]
    assert found[0].matched == text[found[0].start : found[0].end]


@pytest.mark.parametrize("entry", REWORDINGS, ids=lambda e: f"{e['avoid']}→{e['say']}")
def test_every_rewording_is_caught_and_offers_a_suggestion(entry):
    text = f"师傅对客户说：{bare(entry['avoid'])}。"
    (hit,) = hits(text)
    assert hit.suggestion
    if hit.kind == "reword":
        assert hit.phrase == entry["avoid"]
        assert hit.suggestion == entry["say"]
    else:  # 就是这样 / 我没办法 are also banned; the banned rule wins the span
        assert hit.phrase == entry["avoid"]


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("这个声音您就凑合着用吧。", "就这样,没有办法解决,凑合着用"),
        ("这个问题暂时没办法解决。", "就这样,没有办法解决,凑合着用"),
        ("那请您换货吧。", "我不能修好,请您退(换)货吧"),
        ("这台我不能修好。", "我不能修好,请您退(换)货吧"),
        ("等配件到了再修吧。", "现在配件未到,等配件到后在修吧"),
        ("这个型号的光猫都是这样。", "这种型号的产品都是这样的"),
        ("实话说质量不过关。", "这种型号坏的太多,质量不过关"),
        ("这事你找有关部门。", "您的问题我无法解决,找有关部门吧"),
    ],
)
def test_a_distinctive_clause_of_a_long_banned_phrase_is_caught_on_its_own(text, phrase):
    assert [h.phrase for h in hits(text)] == [phrase]


def test_a_whole_seed_sentence_is_one_hit_not_one_per_clause():
    (hit,) = hits("师傅说：就这样，没有办法解决，凑合着用吧。")
    assert hit.matched == "就这样，没有办法解决，凑合着用"


@pytest.mark.parametrize("word", ["退货", "换货", "退换货", "退(换)货", "退（换）货"])
def test_the_seeds_alternative_退换货_matches_every_reading(word):
    assert [h.phrase for h in hits(f"您刚买的产品可以{word}。")] == ["您刚买的产品可以退(换)货"]


# --------------------------------------------------------------------------------------------
# Robustness to how people type
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "我不 知道",
        "我不　知 道。",
        "不\u200b知道",
        "凑合 着 用",
        "您的问题我无法解决  找有关部门吧",
    ],
)
def test_whitespace_and_zero_width_characters_inside_a_phrase_are_ignored(text):
    assert len(hits(text)) == 1


@pytest.mark.parametrize(
    "text",
    [
        "就这样,没有办法解决,凑合着用",
        "就这样，没有办法解决，凑合着用",
        "就这样。没有办法解决！凑合着用",
        "就这样 没有办法解决 凑合着用",
        "就这样没有办法解决凑合着用",
    ],
)
def test_full_width_and_half_width_punctuation_in_a_phrase_match_alike(text):
    (hit,) = hits(text)
    assert (hit.start, hit.end) == (0, len(text))


def test_full_width_ascii_is_normalised_before_matching():
    rules = load_rules(
        [PhraseRule("wifi密码自己查", suggestion="我帮您查一下WiFi密码", source="admin")]
    )
    text = "ＷｉＦｉ 密码自己查。"
    (hit,) = hits(text, rules)
    assert hit.matched == "ＷｉＦｉ 密码自己查"
    assert hit.source == "admin"


def test_punctuation_is_not_skipped_inside_a_phrase_that_has_none():
    assert hits("不，知道了，马上过去。") == []


def test_hit_offsets_point_into_the_original_text():
    text = "（１４：００）王女士，这个 我也不清楚。"
    (hit,) = hits(text)
    assert text[hit.start : hit.end] == hit.matched == "我也不清楚"


# --------------------------------------------------------------------------------------------
# Precision
# --------------------------------------------------------------------------------------------

NORMAL_MESSAGES = [
    "王女士您好，我是中国电信装维员李强，师傅将于14:00上门为您安装宽带，请您家里留人。",
    "师傅将于14:00上门",
    "敲门无人应答，已留言",
    "张先生您好，明天上午9:30上门为您更换光猫，不知道您是否方便？",
    "您好，您的宽带故障已修复，请您试用一下，如有不清楚的地方请随时联系我：13800138000。",
    "已到达小区门口，预计5分钟后到您家。",
    "光功率-18dBm正常，已测速300M，客户已签字确认。",
    "客户不在家，电话联系不上，已发送短信并在门上留下到访留言。",
    "您好，因路上堵车，我可能晚20分钟到您那儿，可以吗？",
    "施工需要在客厅墙上打孔穿线，已征得客户同意。",
    "通知：明天14:00-16:00小区光缆割接，届时网络可能中断。",
    "好的，那就这样，明天14:00见。",
    "客户不知道WiFi密码，已帮其重置并告知。",
    "画面不清楚的问题已处理，机顶盒重启后恢复正常。",
    "已更换水晶头，网络恢复正常，设备型号：HG8245H。",
    "配件未到，到货后我第一时间联系您上门。",
    "我试试看能不能远程重启光猫，请稍等。",
    "王女士，您的宽带已经通了，请您使用一下，谢谢您使用中国电信的业务！",
]


@pytest.mark.parametrize("text", NORMAL_MESSAGES)
def test_an_ordinary_technician_message_produces_no_hits(text):
    assert hits(text) == []


def test_a_clause_anchored_phrase_fires_only_as_a_whole_clause():
    assert [h.phrase for h in hits("这个位置我没办法了。")] == ["我没办法"]
    assert [h.phrase for h in hits("这个位置就是这样的。")] == ["就是这样"]
    assert hits("抱歉，我没办法准时到，改到15:00可以吗？") == []
    assert hits("就是这样的话，我们明天再来。") == []


def test_an_exception_spares_the_polite_form_but_not_the_bare_phrase():
    assert hits("不知道您今天下午是否方便？") == []
    assert [h.phrase for h in hits("这个我也不知道。")] == ["不知道"]
    assert [h.phrase for h in hits("我不清楚。")] == ["不清楚"]


# --------------------------------------------------------------------------------------------
# Suggestions
# --------------------------------------------------------------------------------------------


def test_suggest_replaces_a_phrase_with_its_rewording():
    assert suggest("很抱歉让您久等了，我马上到。", RULES) == "非常感谢您的耐心等待，我马上到。"


def test_suggest_uses_the_banned_phrases_linked_rewording():
    assert (
        suggest("您的问题我无法解决，找有关部门吧。", RULES) == "对不起，我们暂时还没有解决方案。"
    )


def test_suggest_drops_the_seeds_trailing_ellipsis_and_keeps_the_rest_of_the_sentence():
    assert (
        suggest("如果你需要我的帮助，你必须先登记。", RULES) == "我愿意帮助你，但首先我需要先登记。"
    )


def test_suggest_returns_none_when_no_hit_has_a_suggestion():
    assert suggest("我不知道。", RULES) is None
    assert suggest("师傅将于14:00上门", RULES) is None


def test_suggest_leaves_hits_without_a_suggestion_as_typed():
    assert suggest("我不知道，很抱歉让您久等了。", RULES) == "我不知道，非常感谢您的耐心等待。"


# --------------------------------------------------------------------------------------------
# Admin rules
# --------------------------------------------------------------------------------------------


def test_admin_rules_are_loaded_after_the_seed_rules():
    extra = PhraseRule("不归我管", suggestion="我帮您联系负责的同事", source="admin", kind="banned")
    rules = load_rules([extra, {"pattern": "这个我不管", "source": "admin"}])
    assert rules[: len(RULES)] == RULES
    assert [r.pattern for r in rules[len(RULES) :]] == ["不归我管", "这个我不管"]
    assert [h.suggestion for h in check_text("这事不归我管。", rules)] == ["我帮您联系负责的同事"]


def test_a_short_admin_rule_only_matches_a_whole_clause():
    rules = load_rules([PhraseRule("不行", source="admin")])
    assert [h.phrase for h in check_text("不行。", rules)] == ["不行"]
    assert [h.phrase for h in check_text("这样 不行 明天再说", rules)] == ["不行"]
    assert check_text("不行的话我明天再来。", rules) == []


def test_an_admin_rule_may_carry_exceptions():
    rule = PhraseRule("没时间", source="admin", exceptions=("您没时间",))
    assert check_text("您没时间的话改天也行。", [rule]) == []
    assert [h.phrase for h in check_text("我今天没时间过去。", [rule])] == ["没时间"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"pattern": "不归我管", "kind": "rude"},
        {"pattern": "   "},
        {"pattern": "……"},
        {"pattern": "[不归我管"},
        {"pattern": "不归我管", "exceptions": ("[x",)},
    ],
)
def test_an_invalid_admin_rule_is_rejected_when_it_is_made(kwargs):
    with pytest.raises(ValueError):
        PhraseRule(**kwargs)


def test_check_text_uses_the_seed_rules_when_none_are_given():
    assert [h.phrase for h in check_text("凑合着用吧")] == ["就这样,没有办法解决,凑合着用"]
    assert check_text("") == []


def test_the_field_modules_do_not_import_django():
    code = (
        "import sys, doorstep.field.phrases, doorstep.field.scripts\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'django'], 'django imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)

"""Banned phrases (服务禁语) and negative→positive rewordings in what a technician types.

The rules come from the service standards (seed 002: §服务禁语, §服务语言表达技巧 and the
禁止说…换为… line of §上门安装服务规范), kept as JSON in ``data/``; admins add their own rules,
which the caller stores and passes to ``load_rules(extra=...)``. Nothing here imports Django.

Matching works on a normalised copy of the text, and every hit is reported in offsets of the
original text:

* NFKC (full-width ASCII: ``ＷｉＦｉ：１４：００`` reads as ``WiFi:14:00``), case folded;
* zero-width and other format characters are dropped;
* whitespace between two characters of a phrase is ignored (``我 不 知 道`` matches 不知道);
* punctuation is ignored only where the phrase itself has punctuation, and there any
  full-width/half-width mark, any number of them, or none matches (``就这样。没有办法解决，
  凑合着用`` and ``就这样没有办法解决凑合着用`` both match ``就这样,没有办法解决,凑合着用``).
  Punctuation is *not* skipped inside a run of characters, so ``不，知道了`` is not 不知道.

Pattern syntax (data files and admin rules alike)::

    不清楚                 literal text; whitespace and punctuation in it as described above
    [退|换|退换]货          alternatives; an empty one makes the group optional: 我[也|]不清楚
    老型号…不销售了         … / …… / ... : up to 10 characters in between, within one sentence
                           (not across 。！？；or a line break); a trailing …… means "and so on"
                           and is dropped, as in the seed's 你必须……
    ^我没办法 / 我没办法$    ^ at the start: the phrase must begin a clause; $ at the end: it must
                           end one (punctuation, a space or the end of the text may follow, after
                           at most one final particle 了啊呀嘛的哦啦吧呢)

Precision decisions:

* A pattern with fewer than 3 significant characters (e.g. an admin rule 不行) only matches
  as a whole clause, as if written ``^不行$``: without a word segmenter a 2-character string
  occurs inside too many ordinary words.
* A rule may list ``exceptions``: patterns for the legitimate contexts of the phrase. A hit
  that lies inside an exception match is dropped (不知道 in 不知道您明天是否方便, 不清楚 in
  如有不清楚的地方).
* Where hits overlap, the longest wins, then ``banned`` over ``reword``, then rule order; so
  a whole seed sentence is reported once, not clause by clause.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

Kind = Literal["banned", "reword"]
KINDS: tuple[Kind, ...] = ("banned", "reword")

DATA_DIR = Path(__file__).resolve().parent / "data"
BANNED_FILE = DATA_DIR / "banned_phrases.json"
REWORDINGS_FILE = DATA_DIR / "rewordings.json"

MIN_FREE_LENGTH = 3  # shorter patterns only match as a whole clause
GAP_MAX = 10  # characters a … may stand for

# Markers the normalised text uses in place of the characters that matching ignores.
_SOFT = "\x01"  # punctuation inside a sentence: ，、：,"()-~ …
_HARD = "\x02"  # end of a sentence: 。！？； and line breaks
_SPACE = "\x03"  # a run of whitespace
_MARKERS = _SOFT + _HARD + _SPACE
_HARD_CHARS = frozenset("。!?;\n\r\u2028\u2029")  # after NFKC (！→!, ？→?, ；→;)
_PARTICLES = "了啊呀嘛的哦啦吧呢"
_GAP_RE = re.compile(r"…+|⋯+|\.{3,}")


# --------------------------------------------------------------------------------------------
# Rules and hits
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhraseRule:
    """One pattern to look for, and what to say instead.

    ``phrase`` is the wording the rule stands for (the seed's quote; defaults to the pattern),
    ``exceptions`` are patterns for legitimate contexts (see the module docstring).
    """

    pattern: str
    suggestion: str | None = None
    source: str = ""
    kind: Kind = "banned"
    phrase: str = ""
    exceptions: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if not isinstance(self.pattern, str) or not self.pattern.strip():
            raise ValueError("pattern must be a non-empty string")
        if self.suggestion is not None and not self.suggestion.strip():
            object.__setattr__(self, "suggestion", None)
        if not self.phrase:
            object.__setattr__(self, "phrase", self.pattern)
        if isinstance(self.exceptions, str):
            object.__setattr__(self, "exceptions", (self.exceptions,))
        else:
            object.__setattr__(self, "exceptions", tuple(self.exceptions))
        # Compile now, so a broken admin rule fails where it is entered, not on a later check.
        _compile(self.pattern, guard_short=True)
        for exception in self.exceptions:
            _compile(exception, guard_short=False)


@dataclass(frozen=True)
class Hit:
    """A rule found in a text: ``text[start:end] == matched``."""

    phrase: str
    start: int
    end: int
    suggestion: str | None
    source: str
    kind: Kind = "banned"
    matched: str = ""
    pattern: str = ""


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def _read_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


@lru_cache(maxsize=1)
def _data_rules() -> tuple[PhraseRule, ...]:
    rules: list[PhraseRule] = []
    for category in _read_json(BANNED_FILE)["categories"]:
        for entry in category["entries"]:
            for pattern in entry["patterns"]:
                rules.append(
                    PhraseRule(
                        pattern=pattern,
                        suggestion=entry.get("suggestion"),
                        source=entry["source"],
                        kind="banned",
                        phrase=entry["phrase"],
                        exceptions=tuple(entry.get("exceptions", ())),
                    )
                )
    for entry in _read_json(REWORDINGS_FILE)["rewordings"]:
        for pattern in entry["patterns"]:
            rules.append(
                PhraseRule(
                    pattern=pattern,
                    suggestion=entry["say"],
                    source=entry["source"],
                    kind="reword",
                    phrase=entry["avoid"],
                    exceptions=tuple(entry.get("exceptions", ())),
                )
            )
    return tuple(rules)


def _as_rule(item: PhraseRule | Mapping[str, Any]) -> PhraseRule:
    if isinstance(item, PhraseRule):
        return item
    if isinstance(item, Mapping):
        return PhraseRule(**item)
    raise TypeError(f"expected a PhraseRule or a mapping, got {type(item).__name__}")


def load_rules(extra: Iterable[PhraseRule | Mapping[str, Any]] = ()) -> list[PhraseRule]:
    """The seed rules from the JSON data, followed by ``extra`` (admin-added rules).

    ``extra`` items may be ``PhraseRule`` objects or mappings of its fields (e.g. a model's
    ``values()``); an invalid one raises ``ValueError``/``TypeError``.
    """
    return [*_data_rules(), *(_as_rule(item) for item in extra)]


# --------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------


def _is_punct(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"


def _fold(ch: str) -> str:
    lower = ch.lower()
    return lower if len(lower) == 1 else ch


def _normalise(text: str) -> tuple[str, list[int]]:
    """The text as matching sees it, and for each of its characters the original index."""
    out: list[str] = []
    index: list[int] = []
    for i, original in enumerate(text):
        for ch in unicodedata.normalize("NFKC", original):
            if ch in _HARD_CHARS:
                marker = _HARD
            elif ch.isspace():
                marker = _SPACE
            elif unicodedata.category(ch) == "Cf":
                continue
            elif _is_punct(ch):
                marker = _SOFT
            else:
                out.append(_fold(ch))
                index.append(i)
                continue
            if marker == _SPACE and out and out[-1] == _SPACE:
                continue
            out.append(marker)
            index.append(i)
    return "".join(out), index


# --------------------------------------------------------------------------------------------
# Pattern compilation
# --------------------------------------------------------------------------------------------

# Tokens: ("lit", ch) ("sep", "") ("gap", "") ("alt", [token lists]) ("start"/"end", "")
Token = tuple[str, Any]


def _literal_tokens(chunk: str) -> list[Token]:
    tokens: list[Token] = []
    for original in chunk:
        for ch in unicodedata.normalize("NFKC", original):
            if ch.isspace() or unicodedata.category(ch) == "Cf":
                continue
            if _is_punct(ch) or ch in _HARD_CHARS:
                if not tokens or tokens[-1][0] != "sep":
                    tokens.append(("sep", ""))
            else:
                tokens.append(("lit", _fold(ch)))
    return tokens


def _tokenise(pattern: str) -> list[Token]:
    body = pattern.strip()
    tokens: list[Token] = []
    if body.startswith("^"):
        tokens.append(("start", ""))
        body = body[1:]
    end = body.endswith("$")
    if end:
        body = body[:-1]
    i = 0
    while i < len(body):
        gap = _GAP_RE.match(body, i)
        if gap:
            tokens.append(("gap", ""))
            i = gap.end()
            continue
        ch = body[i]
        if ch == "[":
            close = body.find("]", i)
            if close < 0:
                raise ValueError(f"unclosed [ in pattern {pattern!r}")
            alternatives = [_literal_tokens(alt) for alt in body[i + 1 : close].split("|")]
            if all(not alt for alt in alternatives):
                raise ValueError(f"empty [] in pattern {pattern!r}")
            tokens.append(("alt", alternatives))
            i = close + 1
            continue
        if ch in "]|":
            raise ValueError(f"unexpected {ch!r} in pattern {pattern!r}")
        tokens.extend(_literal_tokens(ch))
        i += 1
    # Punctuation and gaps at the edges of a phrase mean nothing (e.g. the seed's 你必须……).
    while tokens and tokens[-1][0] in ("sep", "gap"):
        tokens.pop()
    first = 1 if tokens and tokens[0][0] == "start" else 0
    while len(tokens) > first and tokens[first][0] in ("sep", "gap"):
        del tokens[first]
    if end:
        tokens.append(("end", ""))
    return tokens


def _significant_length(tokens: Sequence[Token]) -> int:
    total = 0
    for kind, value in tokens:
        if kind == "lit":
            total += 1
        elif kind == "alt":
            total += min(_significant_length(alt) for alt in value)
    return total


_SEP_RE = f"[{_MARKERS}]*"
_BETWEEN_RE = f"{_SPACE}?"
_GAP_REGEX = f"[^{_HARD}]{{0,{GAP_MAX}}}?"
_START_RE = f"(?:^|(?<=[{_MARKERS}]))"
_END_RE = f"(?=[{_PARTICLES}]?(?:[{_MARKERS}]|$))"


def _regex(tokens: Sequence[Token]) -> str:
    parts: list[str] = []
    previous_joins = False  # whether the previous token was text a space may follow
    for kind, value in tokens:
        joins = kind in ("lit", "alt")
        if joins and previous_joins:
            parts.append(_BETWEEN_RE)
        if kind == "lit":
            parts.append(re.escape(value))
        elif kind == "alt":
            # Longest first, so the match covers as much of the phrase as it can.
            ordered = sorted(value, key=_significant_length, reverse=True)
            parts.append("(?:" + "|".join(_regex(alt) for alt in ordered) + ")")
        elif kind == "sep":
            parts.append(_SEP_RE)
        elif kind == "gap":
            parts.append(_GAP_REGEX)
        elif kind == "start":
            parts.append(_START_RE)
        elif kind == "end":
            parts.append(_END_RE)
        previous_joins = joins
    return "".join(parts)


@lru_cache(maxsize=4096)
def _compile(pattern: str, guard_short: bool) -> re.Pattern[str]:
    tokens = _tokenise(pattern)
    length = _significant_length(tokens)
    if length == 0:
        raise ValueError(f"pattern {pattern!r} has no characters to match")
    if guard_short and length < MIN_FREE_LENGTH:
        if tokens[0][0] != "start":
            tokens.insert(0, ("start", ""))
        if tokens[-1][0] != "end":
            tokens.append(("end", ""))
    return re.compile(_regex(tokens))


# --------------------------------------------------------------------------------------------
# Checking
# --------------------------------------------------------------------------------------------


def _spans(regex: re.Pattern[str], normal: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in regex.finditer(normal) if m.end() > m.start()]


def check_text(text: str, rules: Iterable[PhraseRule] | None = None) -> list[Hit]:
    """Every banned phrase and every phrase to reword in ``text``, in text order.

    ``rules`` defaults to ``load_rules()`` (seed data only). Overlapping hits are resolved as
    described in the module docstring, so hits never overlap.
    """
    if rules is None:
        rules = load_rules()
    if not text:
        return []
    normal, index = _normalise(text)
    candidates: list[tuple[int, int, int, int, PhraseRule]] = []
    for order, rule in enumerate(rules):
        spans = _spans(_compile(rule.pattern, True), normal)
        if not spans:
            continue
        allowed = [
            span
            for exception in rule.exceptions
            for span in _spans(_compile(exception, False), normal)
        ]
        for start, end in spans:
            if any(a <= start and end <= b for a, b in allowed):
                continue
            candidates.append((start, end, KINDS.index(rule.kind), order, rule))
    candidates.sort(key=lambda c: (-(c[1] - c[0]), c[2], c[0], c[3]))
    chosen: list[tuple[int, int, PhraseRule]] = []
    for start, end, _kind, _order, rule in candidates:
        if all(end <= s or start >= e for s, e, _ in chosen):
            chosen.append((start, end, rule))
    hits: list[Hit] = []
    for start, end, rule in sorted(chosen, key=lambda c: c[0]):
        first, last = index[start], index[end - 1] + 1
        hits.append(
            Hit(
                phrase=rule.phrase,
                start=first,
                end=last,
                suggestion=rule.suggestion,
                source=rule.source,
                kind=rule.kind,
                matched=text[first:last],
                pattern=rule.pattern,
            )
        )
    return hits


_TO_FULL_WIDTH = str.maketrans({",": "，", "!": "！", "?": "？", ";": "；", ":": "："})
_SENTENCE_END = "。！？；!?.;"


def _fit(suggestion: str, text: str, end: int) -> str:
    """The suggestion as it should read in place: the seed's trailing …… (and so on) dropped,
    half-width punctuation made full-width in Chinese text, no doubled end-of-sentence mark."""
    fitted = re.sub(r"(?:…+|⋯+|\.{3,})$", "", suggestion.strip()) or suggestion
    if re.search(r"[\u3000-\u303f\uff00-\uffef]", text):
        fitted = fitted.translate(_TO_FULL_WIDTH)
    rest = text[end:].lstrip()
    if rest and _is_punct(rest[0]):
        fitted = fitted.rstrip(_SENTENCE_END)
    return fitted


def suggest(text: str, rules: Iterable[PhraseRule] | None = None) -> str | None:
    """``text`` with every hit that has a suggestion replaced by it; ``None`` when no hit has
    a suggestion (nothing to propose). Hits without a suggestion are left as typed."""
    hits = [hit for hit in check_text(text, rules) if hit.suggestion]
    if not hits:
        return None
    result = text
    for hit in reversed(hits):
        assert hit.suggestion is not None
        end = _swallow_particle(result, hit.end)
        replacement = _fit(hit.suggestion, result, end)
        result = result[: hit.start] + replacement + result[end:]
    return result


def _swallow_particle(text: str, end: int) -> int:
    """Extend a replaced span over a final particle (久等了 -> the whole of it), which would
    otherwise dangle after the suggestion."""
    if end < len(text) and text[end] in _PARTICLES:
        after = text[end + 1 : end + 2]
        if not after or after.isspace() or _is_punct(after):
            return end + 1
    return end

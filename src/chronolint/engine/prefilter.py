"""The cheap text pre-filter: a rule runs on a file only when the file's text holds one of
the rule's needles. A file no rule survives is never parsed."""

from __future__ import annotations

import re
from functools import lru_cache


class WholeWords(tuple):
    """Needles that match only as whole words (`Task` not inside `TaskRun`): for rules whose
    needles are project names (model classes, tables) that also occur inside other words."""


class AllOf(tuple):
    """Needles that must all be found, each itself needles (substrings, `WholeWords`, a
    pattern), cheapest first: for a rule whose precondition is two facts, such as the SQL
    keyword `UPDATE` and the name of a tracked table."""


class AnyOf(tuple):
    """Needles any one of which will do, each itself needles: for a rule with two patterns
    that each open with a literal (one pattern `a|b` is tried at every `a` and `b`, two
    patterns `a...` and `b...` skip ahead to their literal)."""


class AnyCase(tuple):
    """Lower-case words found in any case (`update`, `UPDATE`, `Update`): looked for in the
    lowered text, lowered once per text, which costs a third of a case-blind search."""


@lru_cache(maxsize=64)
def whole_words_pattern(words: tuple[str, ...]) -> re.Pattern:
    """`\b(?:word|...)\b`, spelled so that the regex engine skips ahead to the words' first
    letters: a pattern that starts with `\b` is tried at every position of the text, so each
    word's leading `\b` is checked by a lookbehind once its first letter has matched."""
    alternatives = []
    for word in sorted(words, key=len, reverse=True):
        first = re.escape(word[:1])
        alternatives.append(rf"{first}(?<=\b{first}){re.escape(word[1:])}")
    return re.compile("(?:" + "|".join(alternatives) + r")\b")


_last_lowered: tuple[str, str] = ("", "")


def _lowered(text: str) -> str:
    """`text.lower()`, kept for the text last asked about: the pre-filter asks about one
    file's text for every rule before it moves on. (One tuple, swapped whole.)"""
    global _last_lowered
    last = _last_lowered
    if last[0] is not text:
        last = _last_lowered = (text, text.lower())
    return last[1]


def mentions(text: str, needles) -> bool:
    """Needles are substrings, `WholeWords`, `AnyCase` words, one compiled pattern, or
    `AllOf` or `AnyOf` these."""
    if isinstance(needles, re.Pattern):
        return needles.search(text) is not None
    if isinstance(needles, WholeWords):
        return whole_words_pattern(needles).search(text) is not None
    if isinstance(needles, AllOf):
        return all(mentions(text, part) for part in needles)
    if isinstance(needles, AnyOf):
        return any(mentions(text, part) for part in needles)
    if isinstance(needles, AnyCase):
        lowered = _lowered(text)
        return any(word in lowered for word in needles)
    return any(needle in text for needle in needles)


def _needles(rule, settings, index):
    """`rule.needles_for(settings, index)`, computed once per settings and index rather than
    per file: several rules derive their needles from the whole project index."""
    cached = settings.needles_memo.get(rule.code)
    if cached is not None and cached[0] is index:
        return cached[1]
    needles = rule.needles_for(settings, index)
    settings.needles_memo[rule.code] = (index, needles)
    return needles


def active_rules(rules: list, text: str, settings, index) -> list:
    """The cheap pre-filter, per rule: a rule runs only on a file holding one of its needles
    (a rule without needles always runs, one whose needles are None never does). A file
    no rule survives is never parsed. Rules that share their needles (a family's) look
    for them once."""
    active = []
    mentioned: dict[int, bool] = {}  # by id: needles live on in `settings.needles_memo`
    for rule in rules:
        needles = _needles(rule, settings, index)
        if needles is None:
            continue
        if needles:
            found = mentioned.get(id(needles))
            if found is None:
                found = mentioned[id(needles)] = mentions(text, needles)
            if not found:
                continue
        active.append(rule)
    return active

"""The pre-filter's patterns, spelled for speed, match exactly where their plain spellings do."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from chronolint.engine.prefilter import mentions, whole_words_pattern
from chronolint.registry import rule_by_code
from chronolint.engine.prefilter import AllOf, AnyCase, AnyOf, WholeWords
from chronolint.rules.needles import declaring_classes
from conftest import FIXTURES

TEXTS = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(FIXTURES.rglob("*.py"))] + [
    "Task TaskRun task_run Task_run run.Task 'Task'\n_Task Task2 (Task) Tâche élan Élan",
    "default=now() server_default=func.now()\nx.default = datetime.now(tz)\n_onupdate=time()\nonupdate =\ttoday (",
    "default = time.time()  # at the start of a text",
]
WORDS = [
    ("Task", "task_run", "Run", "agents", "AGENTS"),
    ("élan", "Élan", "Tâche"),
    (".x", "a.b", "x.", "default"),
    ("",),
]


@pytest.mark.parametrize("words", WORDS)
def test_whole_words_match_where_the_plain_pattern_does(words):
    plain = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(words, key=len, reverse=True))) + r")\b")
    for text in TEXTS:
        assert [m.span() for m in whole_words_pattern(words).finditer(text)] == [m.span() for m in plain.finditer(text)]


def test_chr102_needles_match_where_the_plain_pattern_does():
    # Any call whose name holds now/today/time: project helpers (`utc_now()`, `now_utc()`) too.
    plain = re.compile(r"\b(?:default|onupdate)\s*=[^\n]*?(?:now|today|time)\w*\s*\(")
    needles = rule_by_code("CHR102").needles[-1]
    assert isinstance(needles, AnyOf)
    for text in [*TEXTS, "onupdate=x\n", "xdefault=now()", "x = 1\n_onupdate=now()\n onupdate = utcnow ("]:
        assert mentions(text, needles) == (plain.search(text) is not None), text


def test_declaring_class_pattern_matches_where_the_plain_pattern_does():
    names = ("Task", "Agent")
    plain = re.compile(r"\bclass[ \t\f\\\r\n]+(?:Task|Agent)\b")
    pattern = declaring_classes([SimpleNamespace(in_table=False, owner=f"app.models.{n}") for n in names], ())
    texts = [*TEXTS, "class Task:", "subclass Task:", "_class Agent", "x.class  \\\n Agent(", "class Tasks:", "classAgent"]
    for text in texts:
        assert [m.span() for m in pattern.finditer(text)] == [m.span() for m in plain.finditer(text)], text


def test_any_case_finds_words_in_any_case_as_a_case_blind_pattern_does():
    words = ("update", "alter", "create")
    blind = re.compile("|".join(words), re.IGNORECASE)
    for text in [*TEXTS, "UPDATE t", "Update t", "uPdAtE", "upd ate", "ALTER TABLE", "recreated", "Ünïcode ÉLAN"]:
        assert mentions(text, AnyCase(words)) == (blind.search(text) is not None), text


def test_any_of_needs_one_part():
    needles = AnyOf((("combine",), re.compile("x+y")))
    assert mentions("combine", needles) and mentions("xxy", needles)
    assert not mentions("y", needles)


def test_all_of_needs_every_part():
    needles = AllOf((("combine",), WholeWords(("datetime",)), re.compile("x+y")))
    assert mentions("datetime.combine(xxy)", needles)
    assert not mentions("datetimes.combine(xxy)", needles)
    assert not mentions("datetime.combine(y)", needles)
    assert not mentions("datetime.join(xxy)", needles)

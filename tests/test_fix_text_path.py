"""Fixes computed from `ast` positions and the text (a rule's `text_fix`) are the fixes
libcst computes (`compute_fix`), byte for byte: on every fixture project, every rule example,
and the shapes where the two could part (parentheses, comments, line endings, non-ASCII,
where an import goes). `benchmarks/compare_fixes.py` runs the same comparison on the corpus."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import ROOT

from chronolint.registry import all_rules

sys.path.insert(0, str(ROOT / "benchmarks"))
import compare_fixes  # the benchmarks folder holds scripts, not a package

FIXTURES = ROOT / "fixtures"
CORPUS = ROOT / "benchmarks" / ".corpus"
PYPROJECT = "[project]\nname = 'example'\nversion = '0'\n"


def _assert_same(counts: compare_fixes.Counts) -> None:
    assert not counts.differences, "\n".join(counts.differences)
    assert counts.identical == counts.compared


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()))
def test_every_fixture_gets_the_same_fixes_both_ways(fixture):
    counts = compare_fixes.compare_paths([str(FIXTURES / fixture)])
    _assert_same(counts)
    if fixture == "demo":
        # Its fixes (every kind of computed fix) all come from the text path: what makes
        # machine-readable output cheap.
        assert counts.with_fix > 50
        assert counts.to_libcst == 0


def _write(root: Path, files: dict[str, str]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))


_FIXING_RULES = [r for r in all_rules() if r.fix_applicability is not None and r.computes_fixes]
_EXAMPLES = [(rule.code, i) for rule in _FIXING_RULES for i, _ in enumerate(rule.INVALID)]


@pytest.mark.parametrize("code,index", _EXAMPLES, ids=[f"{c}-{i}" for c, i in _EXAMPLES])
def test_every_rule_example_gets_the_same_fixes_both_ways(tmp_path, code, index):
    rule = next(r for r in _FIXING_RULES if r.code == code)
    example = rule.INVALID[index]
    _write(tmp_path, {**example.files, example.filename: example.code})
    counts = compare_fixes.compare_paths([str(tmp_path)], {"select": ["ALL"], **example.settings})
    _assert_same(counts)


DT = "from datetime import datetime\n"
SA = "from sqlalchemy import Column, DateTime\nimport sqlalchemy as sa\nfrom datetime import datetime\n"
# (name, source, whether the text path must fix it all by itself)
SHAPES = [
    ("plain", DT + "x = datetime.now()\ny = datetime.utcnow()\n", True),
    ("crlf", (DT + "x = datetime.now()\r\ny = datetime.today()\r\n").replace("\n", "\r\n").replace("\r\r", "\r"), True),
    ("cr-only", DT.replace("\n", "\r") + "x = datetime.now()\r", False),
    ("no-trailing-newline", DT + "x = datetime.utcnow()", True),
    ("module-alias", "import datetime as dt\nx = dt.datetime.now()\n", True),
    ("aliased-import", "from datetime import datetime as DT\nx = DT.now()\n", True),
    ("parenthesized-import", "from datetime import (\n    datetime,\n    date,\n)\nx = datetime.now()\n", True),
    ("import-in-function", '"""Doc."""\nimport os\n\n\ndef f():\n    from datetime import datetime\n    return datetime.now()\n', True),
    ("no-header", "def f():\n    from datetime import datetime\n    return datetime.utcnow()\n", True),
    ("decorated-first", "@dec\ndef f():\n    from datetime import datetime\n    return datetime.utcnow()\n", True),
    ("bytes-docstring", 'b"doc"\ndef f():\n    from datetime import datetime\n    return datetime.now()\n', True),
    ("concatenated-docstring", '"a" "b"\ndef f():\n    from datetime import datetime\n    return datetime.now()\n', True),
    ("fstring-first", 'f"a"\ndef f():\n    from datetime import datetime\n    return datetime.now()\n', True),
    ("parenthesized-docstring", '("doc")\ndef f():\n    from datetime import datetime\n    return datetime.now()\n', True),
    ("semicolon-header", "import os; import sys\ndef f():\n    from datetime import datetime\n    return datetime.now()\n", False),
    ("semicolon-after-header", "import os; x = 1\ndef f():\n    from datetime import datetime\n    return datetime.now()\n", False),
    ("timezone-taken", "from django.utils import timezone\n" + DT + "x = datetime.now()\n", True),
    ("target-311", DT + "x = datetime.utcnow()\n", True),
    ("non-ascii", DT + "x = {'é€': datetime.now(), 'ü': datetime.fromtimestamp(ts)}\n", True),
    ("tabs", DT + "def f():\n\tif x:\n\t\treturn datetime.now()\n", True),
    ("keyword-timestamp", DT + "x = datetime.fromtimestamp(timestamp=ts)\ny = datetime.utcfromtimestamp(t)\n", True),
    ("multi-line-call", DT + "x = datetime.fromtimestamp(\n    ts,\n)\n", True),
    ("comment-in-call", DT + "x = datetime.fromtimestamp(  # why\n    ts)\n", False),
    ("parenthesized-arg", DT + "x = datetime.fromtimestamp((ts))\n", False),
    ("parenthesized-owner", DT + "x = (datetime).now()\n", False),
    ("parenthesized-call", DT + "x = (datetime.now())\ny = (datetime.now)()\n", False),
    ("spaced-attribute", DT + "x = datetime . now()\n", False),
    ("replace-utc", "from datetime import datetime, timezone\nx = datetime.utcnow().replace(tzinfo=timezone.utc)\n"
                    + "y = datetime.now().replace(tzinfo=timezone.utc)\n", True),
    ("replace-other", "import pytz\n" + DT + "x = datetime.utcnow().replace(tzinfo=pytz.utc)\n", True),
    ("astimezone", DT + "x = datetime.utcnow().astimezone()\n", True),
    ("in-decorator", DT + "@pytest.mark.parametrize('t', [datetime.now()])\ndef test(t):\n    pass\n", True),
    ("fstring", DT + "x = f'{datetime.now()}'\n", False),
    ("callable", "import functools\n" + DT + "a = datetime.now\nb = {'k': datetime.utcnow}\nc = [datetime.now]\n"
                 "d = f(datetime.now)\ne = f(k=datetime.utcnow)\ng = datetime.now if a else b\n"
                 "h = functools.partial(datetime.now, None)\n", False),
    ("columns", SA + "class T(Base):\n    __tablename__ = 't'\n    a = Column(DateTime)\n    b = Column(DateTime())\n"
                "    c = Column(sa.DateTime(precision=3))\n    d = Column((DateTime))\n"
                "    e = Column(DateTime(  # note\n    ))\n    f = Column(DateTime, default=datetime.now())\n"
                "    g = Column(DateTime, default=datetime.utcnow)\n", False),
    ("possibly-none", DT + "def f(a: datetime, b: datetime | None):\n    x = 1; y = b - a\n    if b > a:\n        return 1\n"
                      "    if a: return b - a\n    return [b - a for _ in 'x']\n\n\ndef g(a: datetime, b: datetime | None):\n"
                      "    return (b - a).seconds  # c\n", False),
]


@pytest.mark.parametrize("name,source,by_text", SHAPES, ids=[s[0] for s in SHAPES])
def test_shapes_where_the_two_ways_could_part(tmp_path, name, source, by_text):
    settings = {"target-version": "py311"} if name == "target-311" else {}
    _write(tmp_path, {"m.py": source})
    counts = compare_fixes.compare_paths([str(tmp_path)], settings)
    _assert_same(counts)
    assert counts.compared > 0
    if by_text:
        assert counts.to_libcst == 0, "the text path should fix this shape itself"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="benchmark corpus not unpacked (python benchmarks/corpus.py)")
@pytest.mark.parametrize("project", ["django-axes-8.3.1", "django-celery-beat-2.9.0"])
def test_corpus_projects_get_the_same_fixes_both_ways(project):
    """Two small corpus projects; `python benchmarks/compare_fixes.py` runs all of them."""
    counts = compare_fixes.compare_paths([str(CORPUS / project)])
    _assert_same(counts)

"""`source_segment` gives what `ast.get_source_segment` gives, for every node, on every
fixture module and on texts whose line ends Python and `str.splitlines` disagree about."""

from __future__ import annotations

import ast

import pytest

from chronolint.engine.source import source_segment
from conftest import FIXTURES

ODD_TEXTS = [
    "x = 1\r\ny = (2,\r\n     3)\r\n",
    "x = 1\ry = (2,\r     3)\r",
    "a = 'é'; b = ('ü',\n  'ß' + \"日本\")\n",
    "x = 1\x0c\ny = [1,\x0c\n  2]\x0b # \x0b in a comment\n",
    "def f():\n    return {\n        'k': 'v',\n    }",  # no newline at the end
    "s = '''a\u2028b\x1cc'''\nt = s\n",
]


def _texts():
    for path in sorted(FIXTURES.rglob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        yield path.name, text
    for i, text in enumerate(ODD_TEXTS):
        yield f"odd-{i}", text


@pytest.mark.parametrize("name,text", list(_texts()), ids=lambda v: v if isinstance(v, str) and len(v) < 40 else "")
def test_segment_is_get_source_segment(name, text):
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):  # fixtures/bad_input
        pytest.skip("does not parse")
    for node in ast.walk(tree):
        assert source_segment(text, node) == ast.get_source_segment(text, node), (name, ast.dump(node)[:80])

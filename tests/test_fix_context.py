"""The fixer resolves libcst metadata only for the innermost statement around a diagnostic,
regenerated on its own under `if _:` headers that recreate its indentation. That fast path
must give the answers metadata over the whole top-level statement gives: the same node at
every range, the same range and parent for every node."""

from __future__ import annotations

import ast
from pathlib import Path

import libcst as cst
import pytest

from chronolint.engine.diagnostics import Location
from chronolint.engine.source import SourceFile
from chronolint.fixer.context import ModuleFixes

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

TRICKY = '''\
"""Module docstring."""
import datetime as dt


class Outer:
  """Two-space blocks, then four and more; tabs in `last`."""

  def method(self, when=dt.datetime.utcnow()):
      # a comment indented with the block
# a comment at column 0 inside the block
      value = dt.datetime.utcnow(); other = value  # two statements on one line
      if value: return dt.datetime.utcnow()
      text = """a string
  spanning lines, dedented
"""
      total = 1 + \\
          2
      \x20
      for item in range(3):
              pass
      else:
          pass
      try:
          pass
      except (ValueError,
              TypeError) as exc:
          raise
      else:
          pass
      finally:
          label = "é✓"; stamp = dt.datetime.utcnow()
      match value:
          case {"at": at}:
              return at
          case _:
              pass
      return (value -
              other)

  @staticmethod
  @property
  def decorated():
      class Inner:
          x = lambda: dt.datetime.utcnow()
      return Inner


def last():
\twhile True:
\t\tbreak
\treturn [dt.datetime.utcnow() for _ in ()]'''


def _sources() -> list[tuple[str, str]]:
    sources = [("tricky", TRICKY), ("tricky-crlf", TRICKY.replace("\n", "\r\n")),
               ("tricky-trailing-newline", TRICKY + "\n")]
    for path in sorted(FIXTURES.rglob("*.py")):
        try:
            text = path.read_text(encoding="utf-8")
            ast.parse(text)
        except (SyntaxError, ValueError):  # fixtures/bad_input
            continue
        sources.append((str(path.relative_to(FIXTURES)), text))
    return sources


SOURCES = _sources()


@pytest.mark.parametrize(("name", "text"), SOURCES, ids=[name for name, _ in SOURCES])
def test_innermost_statement_metadata_matches_the_top_level_statement(name, text):
    tree = ast.parse(text)
    source = SourceFile(name, text)
    fixes = ModuleFixes(text, tree, settings=None)
    compared, nested = set(), 0
    for node in ast.walk(tree):
        if getattr(node, "end_lineno", None) is None:
            continue
        start, end = source.node_range(node)
        index = fixes.statement_at_row(start.row)
        if index is None:
            continue
        fast = fixes.metadata_around(index, start.row, end.row)
        slow = fixes.statement_metadata(index)
        assert fast.node_at(start, end) is slow.node_at(start, end), (name, start, end)
        if fast is slow or id(fast) in compared:
            continue
        compared.add(id(fast))
        nested += 1
        first, last = fast.range_of(fast.statement)
        for key, found in slow.by_range.items():
            if first.row <= key[0] + slow.offset and key[2] + slow.offset <= last.row:
                assert fast.node_at(*_locations(key, slow.offset)) is found, (name, key)
        for cst_node in fast.positions:
            if cst_node in slow.positions:
                assert fast.range_of(cst_node) == slow.range_of(cst_node), (name, cst_node)
                assert fixes.parent_of(cst_node) is _parent(slow, cst_node), (name, cst_node)
    if name.startswith("tricky"):
        assert nested > 20, "the fast path was not exercised"


def _locations(key, offset):
    return Location(key[0] + offset, key[1] + 1), Location(key[2] + offset, key[3] + 1)


def _parent(meta, node):
    parent = meta.parents.get(node)
    return None if isinstance(parent, cst.Module) else parent


def test_without_libcst_codegen_hooks_metadata_is_per_top_level_statement(monkeypatch):
    """`CodegenState` is private to libcst: a libcst without it must still fix, through
    the top-level statement, never fail to import the fixer."""
    import chronolint.fixer.context as context

    monkeypatch.setattr(context, "CodegenState", None)
    tree = ast.parse(TRICKY)
    fixes = ModuleFixes(TRICKY, tree, settings=None)
    source = SourceFile("tricky", TRICKY)
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call))
    start, end = source.node_range(call)
    index = fixes.statement_at_row(start.row)
    assert fixes.metadata_around(index, start.row, end.row) is fixes.statement_metadata(index)
    assert isinstance(fixes.node_at(start, end), cst.Call)

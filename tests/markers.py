"""Read the `# expect: CHR001, CHR303` / `# expect-file: CHR401` markers of a fixture project
(conventions in fixtures/README.md) as the findings the project must produce."""

from __future__ import annotations

import re
import tokenize
from collections import Counter
from pathlib import Path

_MARKER = re.compile(r"#\s*expect(?P<file>-file)?:\s*(?P<codes>CHR\d{3}(?:\s*,\s*CHR\d{3})*)")


def expected_findings(project_dir, codes) -> Counter:
    """Counter of (path relative to `project_dir`, row, code) for the markers whose code is
    in `codes` (a code listed twice on a line counts twice); file markers are on row 1."""
    root = Path(project_dir)
    wanted = set(codes)
    found: Counter = Counter()
    for path in sorted(root.rglob("*.py")):
        try:
            with tokenize.open(path) as fh:  # honours a `# -*- coding: latin-1 -*-` cookie
                text = fh.read()
        except (UnicodeDecodeError, SyntaxError, OSError):
            continue
        rel = path.relative_to(root).as_posix()
        for row, line in enumerate(text.splitlines(), start=1):
            for match in _MARKER.finditer(line):
                for code in re.split(r"\s*,\s*", match.group("codes")):
                    if code in wanted:
                        found[(rel, 1 if match.group("file") else row, code)] += 1
    return found

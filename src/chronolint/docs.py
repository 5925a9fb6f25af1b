"""Generate the README's rule table from the rules themselves (one source of truth).

    python -m chronolint.docs            # print the table
    python -m chronolint.docs --write    # rewrite it in README.md, between the markers

Measured precision comes from `benchmarks/ecosystem/precision.json` when it exists: the
figures of the corpus's **check** set (held-out projects, judged but never tuned on), not
those of the projects the rules were developed against."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from chronolint.registry import all_rules

START, END = "<!-- rules-table:start -->", "<!-- rules-table:end -->"
PRECISION_FILE = Path("benchmarks/ecosystem/precision.json")


FEW_JUDGED = 10  # below this many judged findings no precision is claimed


def _precision(code: str, figures: dict) -> str:
    entry = figures.get(code)
    if entry and not entry.get("sampled") and entry.get("fixed_fp"):
        return f"no findings left; 0 % of {entry['fixed_fp']} before fixes" if not entry["tp"] else "–"
    if not entry or not entry.get("sampled"):
        return "–"
    first = entry["sampled"] + entry.get("fixed_fp", 0)
    # After a rule was fixed for some of these findings, the figure as first judged is
    # the held-out one; the current one shows what the fixes removed.
    before = f"; {entry['tp'] / first * 100:.0f} % of {first} before fixes" if entry.get("fixed_fp") else ""
    if entry["sampled"] < FEW_JUDGED:
        return f"{entry['tp']}/{entry['sampled']} judged (too few to claim){before}"
    return f"{entry['precision'] * 100:.0f} % ({entry['tp']}/{entry['sampled']}){before}"


def rules_table(figures: dict | None = None) -> str:
    figures = figures or {}
    rows = [
        "| Code | Name | What it flags | Default | Fix | Precision (held-out check set) |",
        "|---|---|---|---|---|---|",
    ]
    for rule in all_rules():
        fix = rule.fix_applicability.value if rule.fix_applicability else "–"
        default = "on" if rule.default_enabled else "opt-in"
        summary = rule.summary().replace("|", "\\|")
        rows.append(f"| {rule.code} | `{rule.name}` | {summary} | {default} | {fix} | {_precision(rule.code, figures)} |")
    return "\n".join(rows) + "\n"


def load_figures(root: Path) -> dict:
    path = root / PRECISION_FILE
    try:
        figures = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return figures.get("check", {}) if isinstance(figures, dict) else {}


def render_readme(readme: str, table: str) -> str:
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table}{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chronolint.docs")
    parser.add_argument("--write", action="store_true", help="update README.md in place")
    parser.add_argument("--root", default=".", help="the repository root")
    args = parser.parse_args(argv)
    root = Path(args.root)
    table = rules_table(load_figures(root))
    if not args.write:
        sys.stdout.write(table)
        return 0
    readme = root / "README.md"
    readme.write_text(render_readme(readme.read_text(), table))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

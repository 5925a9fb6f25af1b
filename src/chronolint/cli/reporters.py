"""Output formats. Each takes the run's diagnostics and returns text; all read the same data."""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter

from chronolint.engine.diagnostics import Applicability, Diagnostic


def _fix_marker(diagnostic: Diagnostic) -> str:
    return "[*] " if diagnostic.fix_applicability is Applicability.SAFE else ""


def _label(diagnostic: Diagnostic) -> str:
    return diagnostic.code or "SyntaxError"


def _message(diagnostic: Diagnostic) -> str:
    if diagnostic.code is None:
        return diagnostic.message
    return f"{diagnostic.code} {_fix_marker(diagnostic)}{diagnostic.message}"


def concise(diagnostics: list[Diagnostic], sources) -> str:
    return "".join(
        f"{d.filename}:{d.start.row}:{d.start.column}: {_message(d)}\n" for d in diagnostics
    )


def full(diagnostics: list[Diagnostic], sources) -> str:
    """Each finding with its source line and a caret underline, as ruff's `full` format."""
    out = []
    for d in diagnostics:
        out.append(f"{d.filename}:{d.start.row}:{d.start.column}: {_message(d)}\n")
        line = sources(d.filename, d.start.row)
        if line is not None:
            width = len(str(d.start.row))
            end_col = d.end.column if d.end.row == d.start.row and d.end.column > d.start.column else len(line) + 1
            out.append(f"{' ' * width} |\n{d.start.row} | {line}\n")
            out.append(f"{' ' * width} | {' ' * (d.start.column - 1)}{'^' * max(1, end_col - d.start.column)} {_label(d)}\n")
        if d.fix is not None:
            out.append(f"  = help: {d.fix.message}\n")
        out.append("\n")
    return "".join(out)


def _location(loc) -> dict:
    return {"column": loc.column, "row": loc.row}


def to_json_object(d: Diagnostic) -> dict:
    """One diagnostic with ruff's JSON field names."""
    fix = None
    if d.fix is not None:
        fix = {
            "applicability": d.fix.applicability.value,
            "edits": [
                {"content": e.content, "end_location": _location(e.end), "location": _location(e.start)}
                for e in d.fix.edits
            ],
            "message": d.fix.message,
        }
    return {
        "cell": None,
        "code": d.code,
        "end_location": _location(d.end),
        "filename": os.path.abspath(d.filename),
        "fix": fix,
        "location": _location(d.start),
        "message": d.message,
        "noqa_row": d.noqa_row,
        "url": d.url,
    }


def json_format(diagnostics: list[Diagnostic], sources) -> str:
    return json.dumps([to_json_object(d) for d in diagnostics], indent=2) + "\n"


def json_lines(diagnostics: list[Diagnostic], sources) -> str:
    return "".join(json.dumps(to_json_object(d)) + "\n" for d in diagnostics)


def _relative(filename: str) -> str:
    """A path relative to the working directory (CI runs from the checkout root)."""
    path = os.path.abspath(filename)
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
    return path if rel.startswith("..") else rel.replace(os.sep, "/")


def _github_escape(text: str, *, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def github(diagnostics: list[Diagnostic], sources) -> str:
    """GitHub Actions workflow commands: each finding becomes an annotation on the PR diff."""
    out = []
    for d in diagnostics:
        props = ",".join(f"{key}={_github_escape(str(value), property_value=True)}" for key, value in (
            ("title", f"chronolint ({_label(d)})"), ("file", _relative(d.filename)),
            ("line", d.start.row), ("col", d.start.column), ("endLine", d.end.row), ("endColumn", d.end.column),
        ))
        out.append(f"::error {props}::{_github_escape(f'{_label(d)} {d.message}')}\n")
    return "".join(out)


def _fingerprint(d: Diagnostic, line: str | None, seen: Counter) -> str:
    """Stable when unrelated lines move: path, code, message and the flagged line's text
    (plus an occurrence count for identical findings), not the line number."""
    key = (_relative(d.filename), d.code or "", d.message, (line or "").strip())
    seen[key] += 1
    return hashlib.sha256("\0".join((*key, str(seen[key]))).encode("utf-8", "surrogatepass")).hexdigest()


def gitlab(diagnostics: list[Diagnostic], sources) -> str:
    """GitLab's code quality report (a JSON array of Code Climate issues)."""
    seen: Counter = Counter()
    issues = [{
        "description": f"({_label(d)}) {d.message}",
        "check_name": _label(d),
        "fingerprint": _fingerprint(d, sources(d.filename, d.start.row), seen),
        "severity": "major",
        "location": {"path": _relative(d.filename), "lines": {"begin": d.start.row, "end": d.end.row}},
    } for d in diagnostics]
    return json.dumps(issues, indent=2) + "\n"


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _sarif_rules(diagnostics: list[Diagnostic]) -> list[dict]:
    from chronolint.registry import rule_by_code

    rules = []
    for code in sorted({d.code for d in diagnostics if d.code}):
        rule = rule_by_code(code)
        if rule is None:
            continue
        rules.append({
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary() or rule.name},
            "fullDescription": {"text": rule.docs()},
            "help": {"text": f"chronolint rule {rule.code}", "markdown": rule.docs()},
            "defaultConfiguration": {"level": "error"},
        })
    return rules


def _sarif_region(start, end) -> dict:
    return {"startLine": start.row, "startColumn": start.column, "endLine": end.row, "endColumn": end.column}


def _sarif_result(d: Diagnostic, rule_index: dict[str, int]) -> dict:
    artifact = {"uri": _relative(d.filename)}
    result = {
        "ruleId": d.code or "invalid-syntax",
        "level": "error",
        "message": {"text": d.message},
        "locations": [{"physicalLocation": {"artifactLocation": artifact, "region": _sarif_region(d.start, d.end)}}],
    }
    if d.code in rule_index:
        result["ruleIndex"] = rule_index[d.code]
    if d.fix is not None and d.fix.applicability is not Applicability.DISPLAY_ONLY:
        result["fixes"] = [{
            "description": {"text": f"{d.fix.message} ({d.fix.applicability.value})"},
            "artifactChanges": [{"artifactLocation": artifact, "replacements": [
                {"deletedRegion": _sarif_region(e.start, e.end), "insertedContent": {"text": e.content}}
                for e in d.fix.edits
            ]}],
        }]
    return result


def sarif(diagnostics: list[Diagnostic], sources) -> str:
    """SARIF 2.1.0, as GitHub code scanning reads it. Columns count characters, so the run
    says `unicodeCodePoints` (SARIF's default is UTF-16 code units)."""
    from chronolint import __version__

    rules = _sarif_rules(diagnostics)
    rule_index = {rule["id"]: i for i, rule in enumerate(rules)}
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "chronolint", "version": __version__, "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "results": [_sarif_result(d, rule_index) for d in diagnostics],
        }],
    }
    return json.dumps(log, indent=2) + "\n"


def junit(diagnostics: list[Diagnostic], sources) -> str:
    """JUnit XML: one test suite per file, one failed test case per finding."""
    from xml.etree import ElementTree as ET

    suites = ET.Element("testsuites", name="chronolint", tests=str(len(diagnostics) or 1),
                        failures=str(len(diagnostics)), errors="0")
    by_file: dict[str, list[Diagnostic]] = {}
    for d in diagnostics:
        by_file.setdefault(_relative(d.filename), []).append(d)
    if not by_file:
        suite = ET.SubElement(suites, "testsuite", name="chronolint", tests="1", failures="0", errors="0")
        ET.SubElement(suite, "testcase", name="No errors found", classname="chronolint")
    for filename, found in by_file.items():
        suite = ET.SubElement(suites, "testsuite", name=filename, tests=str(len(found)),
                              failures=str(len(found)), errors="0")
        for d in found:
            case = ET.SubElement(suite, "testcase", name=f"{_label(d)} at {d.start.row}:{d.start.column}",
                                 classname=filename, file=filename, line=str(d.start.row))
            failure = ET.SubElement(case, "failure", message=d.message, type=_label(d))
            failure.text = f"line {d.start.row}, col {d.start.column}, {d.message}"
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def pylint(diagnostics: list[Diagnostic], sources) -> str:
    return "".join(f"{d.filename}:{d.start.row}: [{_label(d)}] {d.message}\n" for d in diagnostics)


FORMATS = {
    "concise": concise,
    "full": full,
    "json": json_format,
    "json-lines": json_lines,
    "github": github,
    "gitlab": gitlab,
    "sarif": sarif,
    "junit": junit,
    "pylint": pylint,
}
# Formats that render a fix's edits or message; the others only mark safe fixes with [*].
FIX_DETAIL_FORMATS = {"full", "json", "json-lines", "sarif"}
TEXT_FORMATS = {"concise", "full"}


def statistics(diagnostics: list[Diagnostic]) -> str:
    """One row per code, as ruff's `--statistics`: `[*]` when any of its findings has a safe fix."""
    counts: Counter = Counter()
    names: dict[str, str] = {}
    fixable: set[str] = set()
    for d in diagnostics:
        code = d.code or "SyntaxError"
        counts[code] += 1
        names[code] = d.name
        if d.fix_applicability is Applicability.SAFE:
            fixable.add(code)
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    width = max((len(str(c)) for _, c in rows), default=1)
    return "".join(f"{count:>{width}}\t{code}\t{'[*] ' if code in fixable else ''}{names[code]}\n" for code, count in rows)


def _errors(count: int) -> str:
    return f"{count} error{'s' if count != 1 else ''}"


def summary(count: int, fixable: int, fixed: int = 0, hidden: int = 0) -> str:
    """ruff's closing lines: `count` findings remain, `fixable` of them `--fix` would fix
    now, `fixed` were fixed in this run, `hidden` unsafe fixes wait for `--unsafe-fixes`."""
    if count == 0 and fixed == 0:
        return "All checks passed!\n"
    if fixed:
        text = f"Found {_errors(count + fixed)} ({fixed} fixed, {count} remaining).\n"
    else:
        text = f"Found {_errors(count)}.\n"
    hint = f" ({hidden} hidden fix{'es' if hidden != 1 else ''} can be enabled with the `--unsafe-fixes` option)" if hidden else ""
    if fixable:
        text += f"[*] {fixable} fixable with the `--fix` option{hint}.\n"
    elif hidden:
        text += f"No fixes available{hint}.\n"
    return text

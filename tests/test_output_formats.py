"""The CI output formats, produced by the installed CLI, checked against what CI systems read."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import jsonschema
import pytest

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
APP = (
    "from datetime import datetime, timezone\n"
    "\n"
    "stamp = datetime.utcnow().replace(tzinfo=timezone.utc)\n"
    'label = "😀"; started = datetime.now()\n'
)


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'ci'\nversion = '0'\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "app.py").write_text(APP)
    (tmp_path / "pkg" / "clean.py").write_text("x = 1\n")
    return tmp_path


def check(chronolint, project, fmt, *extra):
    result = chronolint("check", "pkg", "--output-format", fmt, *extra, cwd=project)
    assert result.returncode == 1, result.stderr
    return result.stdout


def test_json_lines_has_one_ruff_shaped_object_per_line(chronolint, project):
    rows = [json.loads(line) for line in check(chronolint, project, "json-lines").splitlines()]
    assert [(r["code"], r["location"]["row"]) for r in rows] == [("CHR002", 3), ("CHR001", 4)]
    assert rows[0]["fix"]["applicability"] == "safe"
    assert rows[1]["location"]["column"] == len('label = "😀"; started = ') + 1
    # ruff's keys, `url` included (null: `chronolint rule CODE` is the documentation)
    assert set(rows[0]) == {"cell", "code", "end_location", "filename", "fix", "location", "message", "noqa_row", "url"}
    assert rows[0]["url"] is None


def test_github_annotations(chronolint, project):
    lines = check(chronolint, project, "github").splitlines()
    assert lines[0] == (
        "::error title=chronolint (CHR002),file=pkg/app.py,line=3,col=9,endLine=3,endColumn=26::"
        "CHR002 `datetime.utcnow()` returns a naive datetime; use `datetime.now(timezone.utc)`"
    )
    assert lines[1].startswith("::error title=chronolint (CHR001),file=pkg/app.py,line=4,col=")


def test_gitlab_code_quality_report(chronolint, project):
    issues = json.loads(check(chronolint, project, "gitlab"))
    assert [i["check_name"] for i in issues] == ["CHR002", "CHR001"]
    first = issues[0]
    assert first["location"] == {"path": "pkg/app.py", "lines": {"begin": 3, "end": 3}}
    assert first["severity"] == "major" and first["description"].startswith("(CHR002) ")
    assert len({i["fingerprint"] for i in issues}) == 2

    # Fingerprints follow the finding, not its line number: a line added above keeps them.
    app = project / "pkg" / "app.py"
    app.write_text("# a new first line\n" + APP)
    moved = json.loads(check(chronolint, project, "gitlab"))
    assert [i["fingerprint"] for i in moved] == [i["fingerprint"] for i in issues]
    assert moved[0]["location"]["lines"]["begin"] == 4


def test_sarif_validates_against_the_official_schema(chronolint, project):
    log = json.loads(check(chronolint, project, "sarif"))
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft4Validator.check_schema(schema)
    jsonschema.validate(log, schema, cls=jsonschema.Draft4Validator)
    run = log["runs"][0]
    assert log["version"] == "2.1.0" and run["columnKind"] == "unicodeCodePoints"
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["CHR001", "CHR002"]
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["CHR002", "CHR001"]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "pkg/app.py"
    assert results[0]["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"]
    # A broken document must fail the same validation (the check can fail).
    del results[0]["message"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(log, schema, cls=jsonschema.Draft4Validator)


def test_junit_has_a_failed_case_per_finding(chronolint, project):
    root = ElementTree.fromstring(check(chronolint, project, "junit"))
    assert root.tag == "testsuites" and root.get("failures") == "2"
    cases = root.findall("./testsuite/testcase")
    assert [c.find("failure").get("type") for c in cases] == ["CHR002", "CHR001"]
    assert cases[0].get("classname") == "pkg/app.py" and cases[0].get("line") == "3"


def test_junit_with_no_findings_is_one_passing_case(chronolint, project):
    result = chronolint("check", "pkg/clean.py", "--output-format", "junit", cwd=project)
    assert result.returncode == 0
    root = ElementTree.fromstring(result.stdout)
    assert root.get("failures") == "0" and root.find("./testsuite/testcase").find("failure") is None


def test_pylint_format(chronolint, project):
    assert check(chronolint, project, "pylint").splitlines() == [
        "pkg/app.py:3: [CHR002] `datetime.utcnow()` returns a naive datetime; use `datetime.now(timezone.utc)`",
        "pkg/app.py:4: [CHR001] `datetime.now()` called without a time zone",
    ]


def test_output_file_and_environment_variable(chronolint, project):
    result = chronolint("check", "pkg", "--output-file", "report.json", cwd=project,
                        env={"CHRONOLINT_OUTPUT_FORMAT": "json-lines"})
    assert result.returncode == 1 and result.stdout == ""
    rows = [json.loads(line) for line in (project / "report.json").read_text().splitlines()]
    assert [r["code"] for r in rows] == ["CHR002", "CHR001"]
    explicit = chronolint("check", "pkg", "--output-format", "pylint", cwd=project,
                          env={"CHRONOLINT_OUTPUT_FORMAT": "json-lines"})
    assert explicit.stdout.startswith("pkg/app.py:3: [CHR002]")


def test_unknown_output_format_is_a_usage_error(chronolint, project):
    result = chronolint("check", "pkg", "--output-format", "xml", cwd=project)
    assert result.returncode == 2 and "unknown output format" in result.stderr


def test_statistics_has_one_row_per_code(tmp_path, chronolint):
    """A code whose findings are only partly fixable still gets one row (as in ruff)."""
    (tmp_path / "m.py").write_text(
        "from datetime import datetime, timezone\n"
        "a = datetime.utcnow().replace(tzinfo=timezone.utc)\n"
        "b = datetime.utcnow()\n"
        "c = datetime.now()\n"
    )
    out = chronolint("check", "m.py", "--statistics", cwd=tmp_path)
    rows = out.stdout.splitlines()
    assert rows == ["2\tCHR002\t[*] call-datetime-utcnow", "1\tCHR001\tcall-datetime-now-without-tz"], rows

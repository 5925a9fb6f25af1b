"""The GitHub Action (`action.yml`): its steps run here as GitHub's runner runs them.

A composite action's `run` steps get their inputs only through the `env:` that action.yml
maps them to (`${{ inputs.x }}`), and pass values on through `$GITHUB_OUTPUT`. `run_action`
below does what the runner does with the file: each input's default or given value,
`${{ ... }}` substituted, `if:` evaluated (a failed step skips every later step that does
not say `always()`), each `run` executed by bash with `GITHUB_OUTPUT`, `GITHUB_ACTION_PATH`,
`GITHUB_WORKSPACE` and `RUNNER_TEMP` set. `uses:` steps (actions/cache, upload-sarif) cannot
run here: they are recorded with their resolved `with:`, and checked."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from conftest import BIN, FIXTURES, ROOT

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"]
SHA = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class ActionRun:
    outcomes: dict[str, str] = field(default_factory=dict)  # step id -> success/failure/skipped
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    logs: dict[str, subprocess.CompletedProcess] = field(default_factory=dict)
    uses: list[tuple[str, dict]] = field(default_factory=list)  # (action, resolved `with:`)


def _parse_outputs(text: str) -> dict[str, str]:
    out, lines = {}, iter(text.splitlines())
    for line in lines:
        if "<<" in line:
            name, marker = line.split("<<", 1)
            out[name] = "\n".join(iter(lambda: next(lines), marker))
        elif "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
    return out


def run_action(workspace: Path, tmp: Path, inputs: dict[str, str], env: dict[str, str] | None = None) -> ActionRun:
    spec = yaml.safe_load((ROOT / "action.yml").read_text())
    values = {name: str(item.get("default", "")) for name, item in spec["inputs"].items()}
    assert set(inputs) <= set(values), f"undeclared inputs: {set(inputs) - set(values)}"
    values.update(inputs)
    run = ActionRun()
    context = {"runner.os": "Linux", "github.sha": SHA}

    def lookup(expr: str) -> str:
        expr = expr.strip()
        if expr.startswith("inputs."):
            return values[expr[len("inputs."):]]
        if m := re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr):
            return run.outputs.get(m[1], {}).get(m[2], "")
        return context[expr]

    def substitute(text: str) -> str:
        return re.sub(r"\$\{\{(.+?)\}\}", lambda m: lookup(m[1]), str(text))

    def condition(expr: str | None, failed: bool) -> bool:
        if expr is None:
            return not failed
        python = re.sub(r"always\(\)", "True", expr)
        python = re.sub(r"steps\.([\w-]+)\.outcome", lambda m: repr(run.outcomes.get(m[1], "")), python)
        python = re.sub(r"inputs\.([\w-]+)", lambda m: repr(values[m[1]]), python)
        python = python.replace("&&", " and ").replace("||", " or ")
        return ("always()" in expr or not failed) and bool(eval(python, {"True": True}))  # noqa: S307

    failed = False
    runner_temp = tmp / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    for number, step in enumerate(spec["runs"]["steps"]):
        step_id = step.get("id", f"step{number}")
        if not condition(step.get("if"), failed):
            run.outcomes[step_id] = "skipped"
            continue
        if "uses" in step:
            run.uses.append((step["uses"], {k: substitute(v) for k, v in step.get("with", {}).items()}))
            run.outcomes[step_id] = "success"
            continue
        output = tmp / f"output-{number}"
        output.write_text("")
        step_env = {**os.environ, **(env or {}), "GITHUB_OUTPUT": str(output), "GITHUB_ACTION_PATH": str(ROOT),
                    "GITHUB_WORKSPACE": str(workspace), "RUNNER_TEMP": str(runner_temp)}
        step_env.pop("CHRONOLINT_OUTPUT_FORMAT", None)
        step_env.update({k: substitute(v) for k, v in step.get("env", {}).items()})
        assert step["shell"] == "bash"
        result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                                cwd=workspace, env=step_env, capture_output=True, text=True, timeout=120)
        run.logs[step_id] = result
        run.outputs[step_id] = _parse_outputs(output.read_text())
        run.outcomes[step_id] = "success" if result.returncode == 0 else "failure"
        failed = failed or result.returncode != 0
    return run


def _env(tmp: Path) -> dict[str, str]:
    """The chronolint under test first on PATH (`version: installed`); the cache key's
    folder in the test's own temp folder."""
    return {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "XDG_CACHE_HOME": str(tmp / "xdg"),
            "CHRONOLINT_CACHE_KEY": ""}


def _repo(tmp: Path, fixture: str) -> Path:
    repo = tmp / "work"
    shutil.copytree(FIXTURES / fixture, repo)
    subprocess.run([*GIT, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", "app"], cwd=repo, check=True)
    return repo


def test_the_action_annotates_findings_fails_and_uploads_sarif(tmp_path):
    repo = _repo(tmp_path, "demo")
    # A cache committed to the repository: the action removes it before restoring its own.
    planted = repo / ".chronolint_cache" / "0.1.0-000000000000"
    planted.mkdir(parents=True)
    (planted / "files.json").write_text('{"format": 4, "files": {}}')
    subprocess.run([*GIT, "add", "-f", ".chronolint_cache"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", "a cache"], cwd=repo, check=True)

    run = run_action(repo, tmp_path, {"version": "installed", "upload-sarif": "true"}, env=_env(tmp_path))

    assert run.outcomes == {"install": "success", "step1": "success", "lint": "failure", "sarif": "success",
                            "step4": "success"}
    install = run.outputs["install"]
    version = subprocess.run([str(BIN / "chronolint"), "--version"], capture_output=True, text=True).stdout.split()[-1]
    assert install["version"] == version and Path(install["bin"]).samefile(BIN / "chronolint")
    assert "::warning title=chronolint::.chronolint_cache is tracked by git" in run.logs["install"].stdout
    assert not planted.exists()
    # actions/cache: the cache folders and the key's folder (outside the workspace), keyed by version.
    (cache_action, cache_with), (sarif_action, sarif_with) = run.uses
    assert cache_action.startswith("actions/cache@")
    assert cache_with["path"].splitlines() == ["**/.chronolint_cache", str(tmp_path / "xdg" / "chronolint")]
    assert cache_with["key"] == f"chronolint-Linux-{version}-{SHA}"
    assert cache_with["restore-keys"] == f"chronolint-Linux-{version}-"

    lint = run.logs["lint"]
    assert lint.returncode == 1
    annotations = [line for line in lint.stdout.splitlines() if line.startswith("::error ")]
    concise = subprocess.run([str(BIN / "chronolint"), "check", "--output-format", "concise", "--no-cache", "."],
                             cwd=repo, capture_output=True, text=True)
    expected = [line for line in concise.stdout.splitlines() if ": CHR" in line]
    assert len(annotations) == len(expected) > 13
    # Each finding as a workflow command GitHub turns into an annotation on the diff.
    pattern = re.compile(r"::error title=chronolint \((CHR\d+)\),file=([^,:]+),line=(\d+),col=(\d+),"
                         r"endLine=\d+,endColumn=\d+::(CHR\d+) .+")
    found = sorted((m[2], int(m[3]), int(m[4]), m[1]) for m in map(pattern.fullmatch, annotations) if m and m[1] == m[5])
    wanted = sorted((f, int(r), int(c), code.strip()) for f, r, c, code in
                    (line.split(":", 4)[:3] + [line.split(":", 4)[3].split()[0]] for line in expected))
    assert found == wanted

    assert sarif_action.startswith("github/codeql-action/upload-sarif@")
    sarif = json.loads(Path(sarif_with["sarif_file"]).read_text())
    assert sarif_with["sarif_file"] == run.outputs["sarif"]["file"]
    assert len(sarif["runs"][0]["results"]) == len(expected)
    # The key was made outside the workspace, where actions/cache keeps it with the cache.
    assert (tmp_path / "xdg" / "chronolint" / "key").exists() and not list(repo.rglob("key"))


def test_a_clean_project_passes_and_the_inputs_reach_chronolint(tmp_path):
    repo = _repo(tmp_path, "clean_app")
    run = run_action(repo, tmp_path, {"version": "installed", "cache": "false"}, env=_env(tmp_path))
    assert run.outcomes["lint"] == "success", run.logs["lint"].stdout + run.logs["lint"].stderr
    assert run.outcomes["sarif"] == "skipped" and run.uses == []  # no cache, no SARIF by default
    assert "::error" not in run.logs["lint"].stdout

    shutil.copytree(FIXTURES / "demo", repo / "demo app")  # a path with a space, quoted in `src`
    inputs = {"version": "installed", "cache": "false", "src": "'demo app/app/utils'",
              "args": "--select CHR002 --no-cache", "output-format": "concise"}
    run = run_action(repo, tmp_path, inputs, env=_env(tmp_path))
    lines = [line for line in run.logs["lint"].stdout.splitlines() if ": CHR" in line]
    assert run.outcomes["lint"] == "failure" and lines
    assert all(line.startswith("demo app/app/utils/") and ": CHR002 " in line for line in lines)


def test_a_cache_key_from_a_secret_is_never_stored(tmp_path):
    repo = _repo(tmp_path, "clean_app")
    run = run_action(repo, tmp_path, {"version": "installed", "cache-key": "s" * 40}, env=_env(tmp_path))
    ((_, cache_with),) = run.uses
    assert cache_with["path"].splitlines() == ["**/.chronolint_cache"]
    assert not (tmp_path / "xdg" / "chronolint" / "key").exists()
    assert run.outcomes["lint"] == "success"


def test_the_version_input_becomes_a_pip_requirement():
    sys.path.insert(0, str(ROOT / "action"))
    try:
        from run import requirement
    finally:
        sys.path.pop(0)
    assert requirement("latest") == requirement("") == "chronolint"
    assert requirement("0.2.0") == requirement("v0.2.0") == "chronolint==0.2.0"
    assert requirement("0.2.0rc1") == "chronolint==0.2.0rc1"
    assert requirement(">=0.1,<0.2") == "chronolint>=0.1,<0.2"
    assert requirement("installed") is None
    assert requirement("./vendor/chronolint-0.1.0-py3-none-any.whl") == "./vendor/chronolint-0.1.0-py3-none-any.whl"
    assert requirement("git+https://example.com/chronolint@main") == "git+https://example.com/chronolint@main"

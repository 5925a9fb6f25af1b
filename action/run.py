"""The steps of chronolint's GitHub Action (`action.yml` at the repository root).

A composite action does not hand its inputs to a script: `action.yml` maps each input to
an `INPUT_<NAME>` environment variable (the names a JavaScript or Docker action would get,
upper-cased, with `-` as `_`), and this script reads only those, plus what the runner sets
(`GITHUB_OUTPUT`, `RUNNER_TEMP`, `GITHUB_WORKSPACE`). Standard library only: it runs on the
runner's own Python before chronolint is installed.

    python run.py install   create a virtualenv under $RUNNER_TEMP and install chronolint
                            (INPUT_VERSION); outputs `bin`, `version`, `cache-paths`
    python run.py lint      chronolint check --output-format $INPUT_OUTPUT_FORMAT $INPUT_ARGS $INPUT_SRC
                            exits with chronolint's exit code (1: findings)
    python run.py sarif     the same run as SARIF into $RUNNER_TEMP/chronolint.sarif (never fails
                            on findings); outputs `file`
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

CACHE_DIR = ".chronolint_cache"


def _input(name: str, default: str = "") -> str:
    """An input: `INPUT_OUTPUT-FORMAT` as a JavaScript action gets it, or the
    `INPUT_OUTPUT_FORMAT` that action.yml sets (a shell cannot name the first)."""
    upper = name.upper()
    value = os.environ.get(f"INPUT_{upper}") or os.environ.get(f"INPUT_{upper.replace('-', '_')}") or ""
    return value.strip() or default


def _output(name: str, value: str) -> None:
    """A step output, as `GITHUB_OUTPUT` takes it (a heredoc for multi-line values)."""
    path = os.environ.get("GITHUB_OUTPUT")
    if not path:
        print(f"{name}={value}")
        return
    with open(path, "a", encoding="utf-8") as fh:
        if "\n" in value:
            fh.write(f"{name}<<CHRONOLINT_EOF\n{value}\nCHRONOLINT_EOF\n")
        else:
            fh.write(f"{name}={value}\n")


def _temp() -> Path:
    return Path(os.environ.get("RUNNER_TEMP") or os.environ.get("TMPDIR") or "/tmp")


def _workspace() -> Path:
    return Path(os.environ.get("GITHUB_WORKSPACE") or os.getcwd())


def requirement(version: str) -> str | None:
    """What `pip install` gets for the `version` input: `latest` → chronolint; `0.2.0`
    (or `v0.2.0`) → chronolint==0.2.0; a specifier (`>=0.2,<0.3`) → chronolint>=0.2,<0.3;
    anything else (a path, a URL, `chronolint[lsp]==…`) as given. `installed` → None:
    use the chronolint already on PATH (installed from your own lock file)."""
    if version in ("", "latest"):
        return "chronolint"
    if version == "installed":
        return None
    if re.fullmatch(r"v?\d+(\.\d+)*([.-]?\w+)*", version):
        return f"chronolint=={version.lstrip('v')}"
    if re.match(r"^(==|>=|<=|~=|!=|<|>)", version):
        return f"chronolint{version}"
    return version


def _bin_dir(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


def _key_dir() -> Path:
    """Where chronolint keeps its cache key by default (see chronolint.engine.cache)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "chronolint"


def drop_tracked_caches(workspace: Path) -> list[str]:
    """Remove every cache folder git tracks in the checkout, before a cache is restored:
    a cache arrives with CI's restore, never with the code under review. (chronolint
    would not trust it anyway without the key; this also holds if the key ever leaked.)"""
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=workspace, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    folders = set()
    for name in listed.decode("utf-8", "surrogateescape").split("\0"):
        parts = name.split("/")
        if CACHE_DIR in parts[:-1]:
            folders.add("/".join(parts[: parts.index(CACHE_DIR) + 1]))
    import shutil

    for folder in sorted(folders):
        shutil.rmtree(workspace / folder, ignore_errors=True)
        print(f"::warning title=chronolint::{folder} is tracked by git: removed before linting "
              "(a cache must come from CI's own cache, never from the repository)")
    return sorted(folders)


def install() -> int:
    workspace = _workspace()
    drop_tracked_caches(workspace)
    spec = requirement(_input("version", "latest"))
    if spec is None:
        import shutil

        found = shutil.which("chronolint")
        if found is None:
            print("::error title=chronolint::version: installed, but no chronolint on PATH")
            return 2
        executable = Path(found)
    else:
        venv = _temp() / "chronolint-venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        python = _bin_dir(venv) / ("python.exe" if os.name == "nt" else "python")
        subprocess.run([str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", spec], check=True)
        executable = _bin_dir(venv) / ("chronolint.exe" if os.name == "nt" else "chronolint")
    version = subprocess.run([str(executable), "--version"], capture_output=True, text=True, check=True).stdout
    _output("bin", str(executable))
    _output("version", version.split()[-1] if version.split() else "unknown")
    # What actions/cache restores and saves: the cache folders, and the cache key's folder
    # unless the key comes from a secret (then it is never stored anywhere).
    paths = [f"**/{CACHE_DIR}"]
    if not os.environ.get("CHRONOLINT_CACHE_KEY"):
        paths.append(str(_key_dir()))
    _output("cache-paths", "\n".join(paths))
    return 0


def _check_command(output_format: str, extra: list[str]) -> list[str]:
    executable = os.environ.get("CHRONOLINT_BIN") or "chronolint"
    paths = shlex.split(_input("src", ".")) or ["."]
    return [executable, "check", "--output-format", output_format, *shlex.split(_input("args")), *extra, *paths]


def lint() -> int:
    command = _check_command(_input("output-format", "github"), [])
    print("+ " + shlex.join(command), flush=True)
    return subprocess.run(command, cwd=_workspace()).returncode


def sarif() -> int:
    target = _temp() / "chronolint.sarif"
    command = _check_command("sarif", ["--exit-zero", "--output-file", str(target)])
    print("+ " + shlex.join(command), flush=True)
    code = subprocess.run(command, cwd=_workspace()).returncode
    _output("file", str(target))
    return code


def main(argv: list[str]) -> int:
    steps = {"install": install, "lint": lint, "sarif": sarif}
    if len(argv) != 1 or argv[0] not in steps:
        print(f"usage: run.py {{{','.join(steps)}}}", file=sys.stderr)
        return 2
    return steps[argv[0]]()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

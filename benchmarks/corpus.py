"""The benchmark corpus: real projects, pinned as wheels, unpacked to plain ``.py`` trees.

Usage::

    python benchmarks/corpus.py [--only NAME,...] [--dest DIR] [--cache DIR]

Every number the benchmarks report is only comparable run to run if the code being linted
is byte-for-byte the same, so each project is pinned in ``corpus.tsv`` by version *and*
sha256 of its wheel.  Wheels are fetched with ``python -m pip download`` (so whichever
package index pip is configured for is used; no host is named here), checked against the
pin, and only their ``.py`` files are unpacked: the other files would never be linted.

Other scripts call :func:`ensure_corpus` and the file helpers below, so that every tool in
``run.py`` and ``ecosystem.py`` sees exactly the same files, counted the same way.
Standard library only: this runs in the project's own venv.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

HERE = Path(__file__).resolve().parent
PINS_FILE = HERE / "corpus.tsv"
DEFAULT_DEST = HERE / ".corpus"
DEFAULT_CACHE = HERE / ".cache" / "wheels"
MARKER_NAME = ".corpus-marker.json"

# Written at the corpus root so that linters run there stop looking for configuration at
# that folder instead of walking up into the repository that happens to contain it (whose
# own [tool.ruff] / [tool.chronolint] excludes would otherwise change what is measured).
# Each project folder gets one too: it is that project's root, as its repository's would
# be, so chronolint's project index covers that project alone and names its modules as the
# project does (`flask_appbuilder.models`), not the whole corpus (`flask-appbuilder-5.3.0.…`).
NEUTRAL_PYPROJECT = """\
# Written by benchmarks/corpus.py: stops config discovery (and the project index) here.
[tool.chronolint]

[tool.ruff]
"""


class CorpusError(RuntimeError):
    """The corpus cannot be made to match its pins (download failed, hash mismatch...)."""


@dataclass(frozen=True)
class Pin:
    """One row of corpus.tsv: a project release and the exact wheel that stands for it."""

    name: str
    version: str
    file: str
    sha256: str
    py_files: int
    py_lines: int
    set: str = "tuning"  # "tuning": rules may be read and fixed against it; "check": only counted and judged

    @property
    def dirname(self) -> str:
        """Folder name of the unpacked project under the corpus root."""
        return f"{self.name}-{self.version}"


# --------------------------------------------------------------------------- pins


def load_pins(path: Path = PINS_FILE) -> list[Pin]:
    """Read corpus.tsv (``#`` comment lines allowed) in file order."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = [line for line in fh if line.strip() and not line.startswith("#")]
    return [
        Pin(
            name=row["name"],
            version=row["version"],
            file=row["file"],
            sha256=row["sha256"].lower(),
            py_files=int(row["py_files"]),
            py_lines=int(row["py_lines"]),
            set=(row.get("set") or "tuning").strip(),
        )
        for row in csv.DictReader(rows, delimiter="\t")
    ]


def select_pins(names: list[str] | None, pins: list[Pin] | None = None) -> list[Pin]:
    """The pins named in ``names`` (all when None), in corpus order; unknown names fail."""
    pins = load_pins() if pins is None else pins
    if not names:
        return pins
    known = {pin.name for pin in pins}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise CorpusError(f"unknown corpus project(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    wanted = set(names)
    return [pin for pin in pins if pin.name in wanted]


def parse_only(value: str | None) -> list[str] | None:
    """Turn ``--only a,b`` into a list (None means the whole corpus)."""
    if not value:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


# --------------------------------------------------------------------------- files and counts


def python_files(dirs: list[Path]) -> list[Path]:
    """Every ``.py`` file under ``dirs``, sorted, so all tools get the same list."""
    files: list[Path] = []
    for root in dirs:
        files.extend(path for path in root.rglob("*.py") if path.is_file())
    return sorted(files)


def count_lines(data: bytes) -> int:
    """Physical lines: newlines, plus one for a last line without a trailing newline."""
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def count_tree(files: list[Path]) -> tuple[int, int]:
    """(files, lines) of a file list, the one way every benchmark row is counted."""
    return len(files), sum(count_lines(path.read_bytes()) for path in files)


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in chunks (mlflow's wheel is tens of MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------- download


def pip_command() -> list[str]:
    """How to run pip: this interpreter's pip module, else a pip on PATH (e.g. uv venvs)."""
    probe = subprocess.run(
        [sys.executable, "-m", "pip", "--version"], capture_output=True, text=True, check=False
    )
    if probe.returncode == 0:
        return [sys.executable, "-m", "pip"]
    for name in ("pip", "pip3"):
        found = shutil.which(name)
        if found:
            return [found]
    raise CorpusError("pip is not available: install it into this venv (python -m ensurepip)")


def download_wheel(pin: Pin, cache: Path) -> Path:
    """Fetch the pinned wheel into ``cache`` (unless a verified copy is there) and verify it.

    A fresh temporary folder is used for each download so a stale or foreign file in the
    cache can never be mistaken for the one pip just fetched.
    """
    cache.mkdir(parents=True, exist_ok=True)
    wheel = cache / pin.file
    if wheel.is_file() and sha256_of(wheel) == pin.sha256:
        return wheel
    with tempfile.TemporaryDirectory(dir=cache, prefix=".download-") as tmp:
        cmd = pip_command() + [
            "download",
            "--no-deps",
            "--only-binary",
            ":all:",
            # Not installing, so the running Python need not satisfy Requires-Python.
            "--ignore-requires-python",
            "--dest",
            tmp,
            f"{pin.name}=={pin.version}",
        ]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        fetched = Path(tmp) / pin.file
        if result.returncode != 0 or not fetched.is_file():
            got = ", ".join(sorted(p.name for p in Path(tmp).iterdir())) or "nothing"
            raise CorpusError(
                f"pip download of {pin.name}=={pin.version} did not produce {pin.file} "
                f"(got: {got}; exit {result.returncode})\n{result.stderr.strip()}"
            )
        verify_hash(fetched, pin)
        os.replace(fetched, wheel)
    return wheel


def verify_hash(wheel: Path, pin: Pin) -> None:
    """Fail loudly when a wheel is not the pinned one: the numbers would not be comparable."""
    actual = sha256_of(wheel)
    if actual != pin.sha256:
        raise CorpusError(
            f"SHA256 MISMATCH for {pin.file}:\n  pinned   {pin.sha256}\n  got      {actual}\n"
            "The index serves a different file under this name; do not benchmark against it."
        )


# --------------------------------------------------------------------------- unpack


def safe_member_path(name: str) -> PurePosixPath | None:
    """A wheel member's relative path, or None for absolute or ``..`` paths (zip-slip)."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        return None
    return path


def unpack_python_files(wheel: Path, target: Path) -> tuple[int, int]:
    """Extract only the ``.py`` members of ``wheel`` into ``target``; return (files, lines)."""
    files = lines = 0
    with zipfile.ZipFile(wheel) as archive:
        for info in archive.infolist():
            if info.is_dir() or not info.filename.endswith(".py"):
                continue
            rel = safe_member_path(info.filename)
            if rel is None:
                raise CorpusError(f"{wheel.name}: refusing unsafe member path {info.filename!r}")
            data = archive.read(info)
            out = target.joinpath(*rel.parts)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
            files += 1
            lines += count_lines(data)
    return files, lines


def read_marker(project_dir: Path) -> dict | None:
    """The marker left by a completed unpack, or None when absent or unreadable."""
    try:
        return json.loads((project_dir / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_unpacked(pin: Pin, project_dir: Path) -> bool:
    """True when ``project_dir`` was unpacked from exactly the pinned wheel."""
    marker = read_marker(project_dir)
    return bool(marker) and marker.get("sha256") == pin.sha256 and marker.get("file") == pin.file


def unpack(pin: Pin, wheel: Path, dest: Path) -> Path:
    """Unpack into a temporary sibling, write the marker, then swap it into place.

    The marker is written last and the swap is a rename, so an interrupted unpack never
    leaves a half-filled folder that looks finished.
    """
    final = dest / pin.dirname
    tmp = Path(tempfile.mkdtemp(dir=dest, prefix=f".unpack-{pin.dirname}-"))
    try:
        files, lines = unpack_python_files(wheel, tmp)
        marker = {"name": pin.name, "version": pin.version, "file": pin.file,
                  "sha256": pin.sha256, "py_files": files, "py_lines": lines}
        (tmp / MARKER_NAME).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    if (files, lines) != (pin.py_files, pin.py_lines):
        print(f"note: {pin.dirname}: unpacked {files} files / {lines} lines, "
              f"corpus.tsv says {pin.py_files} / {pin.py_lines}", file=sys.stderr)
    return final


# --------------------------------------------------------------------------- entry points


def ensure_corpus(
    names: list[str] | None = None,
    dest: Path | None = None,
    cache: Path | None = None,
    log=None,
) -> list[Path]:
    """Make sure the pinned projects are unpacked and verified; return their folders.

    Already unpacked projects (marker hash equals the pin) are not downloaded again, so
    calling this at the start of every benchmark costs only a few file reads.
    """
    dest = (dest or DEFAULT_DEST).resolve()
    cache = (cache or DEFAULT_CACHE).resolve()
    dest.mkdir(parents=True, exist_ok=True)
    write_neutral_config(dest)
    dirs = []
    for pin in select_pins(names):
        project_dir = dest / pin.dirname
        if is_unpacked(pin, project_dir):
            status = "ok (already unpacked)"
        else:
            project_dir = unpack(pin, download_wheel(pin, cache), dest)
            status = "downloaded, verified, unpacked"
        write_neutral_config(project_dir)
        if log:
            log(f"{pin.dirname:<28} {status}")
        dirs.append(project_dir)
    return dirs


def write_neutral_config(dest: Path) -> None:
    """Put the config-discovery stop (see NEUTRAL_PYPROJECT) in `dest`."""
    path = dest / "pyproject.toml"
    if not path.exists() or path.read_text(encoding="utf-8") != NEUTRAL_PYPROJECT:
        path.write_text(NEUTRAL_PYPROJECT, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated project names (default: all)")
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST, help="unpack root (default: %(default)s)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="wheel cache (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        dirs = ensure_corpus(parse_only(args.only), args.dest, args.cache, log=print)
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    files, lines = count_tree(python_files(dirs))
    print(f"corpus: {len(dirs)} projects, {files} .py files, {lines} lines under {args.dest.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

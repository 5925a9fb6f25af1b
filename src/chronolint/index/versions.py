"""Which versions of the libraries whose meaning changes between releases a project uses,
read from its own files without importing anything and without the network.

Sources, first that decides wins (each answer records where it came from):

1. `[tool.chronolint] library-versions = { sqlmodel = "0.0.50" }` (the configuration);
2. lock files at the project root: `uv.lock`, `poetry.lock`, `pdm.lock`, `Pipfile.lock`;
3. `requirements*.txt` (and `requirements/*.txt`) at the root, following `-r` and `-c`;
4. `pyproject.toml` dependencies (PEP 621, dependency groups, Poetry);
5. a project-local virtualenv (`.venv`, `venv`, `env`): its `*.dist-info` folders.

An exact pin (a lock, `==`, an installed distribution) decides every question; a range
(`>=0.0.45`, `^5.0`) decides only the questions whose answer is the same over the whole
range. When nothing decides, the answer is unknown (None), and so is every fact that
depends on it: a rule stays silent.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

# Libraries whose version changes what the index concludes (normalised names).
TRACKED = ("sqlmodel", "django", "sqlalchemy")
LOCK_FILES = ("uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock")
VENV_FOLDERS = (".venv", "venv", "env", ".env")
MAX_REQUIREMENT_FILES = 50
MAX_FILE_BYTES = 5_000_000

Release = tuple[int, ...]


def normalise(name: str) -> str:
    """PEP 503: `Django` → `django`, `SQLAlchemy` → `sqlalchemy`, `zope_interface` → `zope-interface`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_release(text: str) -> Release | None:
    """`0.0.50` → (0, 0, 50); `5.0rc1` → (5, 0); an epoch or a local part is dropped.
    None for anything that does not start with a release number."""
    match = re.match(r"\s*v?(?:\d+!)?(\d+(?:\.\d+)*)", text)
    return tuple(int(p) for p in match.group(1).split(".")) if match else None


def _pad(release: Release, width: int) -> Release:
    return release + (0,) * (width - len(release))


def compare(a: Release, b: Release) -> int:
    width = max(len(a), len(b))
    a, b = _pad(a, width), _pad(b, width)
    return (a > b) - (a < b)


@dataclass(frozen=True)
class Constraint:
    """The versions a source allows: `low` (inclusive unless `low_open`) up to `high`
    (exclusive unless `high_closed`); `exact` when one version is pinned."""

    low: Release | None = None
    low_open: bool = False
    high: Release | None = None
    high_closed: bool = False
    text: str = ""

    @property
    def exact(self) -> bool:
        return self.low is not None and self.high is not None and self.high_closed and compare(self.low, self.high) == 0

    def at_least(self, threshold: Release) -> bool | None:
        """Is the version `>= threshold`? True/False when every allowed version agrees."""
        if self.low is not None and compare(self.low, threshold) >= 0:
            return True
        if self.high is not None and (compare(self.high, threshold) < 0 or compare(self.high, threshold) == 0 and not self.high_closed):
            return False
        return None

    def narrowed(self, other: Constraint) -> Constraint:
        """Both constraints at once (`>=0.0.40,<0.0.45`)."""
        low, low_open, high, high_closed = self.low, self.low_open, self.high, self.high_closed
        if other.low is not None and (low is None or compare(other.low, low) > 0):
            low, low_open = other.low, other.low_open
        if other.high is not None and (high is None or compare(other.high, high) < 0):
            high, high_closed = other.high, other.high_closed
        return Constraint(low, low_open, high, high_closed, ",".join(t for t in (self.text, other.text) if t))


def pinned(version: str) -> Constraint | None:
    release = parse_release(version)
    return None if release is None else Constraint(release, False, release, True, f"=={version.strip()}")


def _bump(release: Release, position: int) -> Release:
    """The next release at `position`: `_bump((5, 0, 3), 1)` → (5, 1)."""
    head = list(release[: position + 1]) + [0] * max(0, position + 1 - len(release))
    head[position] += 1
    return tuple(head)


def parse_specifier(spec: str) -> Constraint | None:
    """A PEP 440 specifier set (`>=0.0.45,<0.1`, `==5.0.*`, `~=4.2`) or a Poetry one
    (`^0.0.45`, `~5.0`, `5.0.1`). None when it cannot be read or says nothing."""
    result: Constraint | None = None
    for part in re.split(r"[,\s]+(?=[<>=!~^\d])|,", spec.strip()):
        part = part.strip()
        if not part or part == "*":
            continue
        match = re.fullmatch(r"(===|==|!=|~=|>=|<=|>|<|\^|~|=)?\s*([\w.*!+-]+)", part)
        if match is None:
            return None
        op, version = match.group(1) or "==", match.group(2)
        release = parse_release(version)
        if release is None:
            return None
        if op == "!=":
            continue
        if op in {"==", "===", "="} and version.endswith(".*"):
            found = Constraint(release, False, _bump(release, len(release) - 1), False)
        elif op in {"==", "===", "="}:
            found = Constraint(release, False, release, True)
        elif op == ">=":
            found = Constraint(low=release)
        elif op == ">":
            found = Constraint(low=release, low_open=True)
        elif op == "<=":
            found = Constraint(high=release, high_closed=True)
        elif op == "<":
            found = Constraint(high=release)
        elif op == "~=":
            found = Constraint(release, False, _bump(release, max(0, len(release) - 2)), False)
        elif op == "~":  # Poetry: ~5.0 → >=5.0,<5.1; ~5 → >=5,<6
            found = Constraint(release, False, _bump(release, min(1, len(release) - 1)), False)
        else:  # "^": the first non-zero part may not change
            position = next((i for i, p in enumerate(release) if p != 0), len(release) - 1)
            found = Constraint(release, False, _bump(release, position), False)
        result = found if result is None else result.narrowed(found)
    return None if result is None else Constraint(result.low, result.low_open, result.high, result.high_closed, spec.strip())


@dataclass(frozen=True)
class LibraryVersion:
    """A library's version as a project's files state it, and which file said so."""

    name: str
    constraint: Constraint
    source: str  # "uv.lock", "requirements/prod.txt", "[tool.chronolint] library-versions", ...

    def at_least(self, *threshold: int) -> bool | None:
        return self.constraint.at_least(tuple(threshold))

    def describe(self) -> str:
        return self.constraint.text or "?"


@dataclass
class LibraryVersions:
    """What the index knows of the project's library versions (see the module docstring)."""

    found: dict[str, LibraryVersion]
    tracked: tuple[str, ...] = TRACKED  # the libraries that were looked for

    def get(self, name: str) -> LibraryVersion | None:
        return self.found.get(normalise(name))

    def at_least(self, name: str, *threshold: int) -> bool | None:
        """`at_least("sqlmodel", 0, 0, 45)`: True, False, or None when nothing decides."""
        version = self.get(name)
        return None if version is None else version.at_least(*threshold)

    def fingerprint(self) -> tuple:
        return tuple(sorted((n, v.constraint.text, v.source) for n, v in self.found.items()))


def read_library_versions(root: str, configured: dict[str, str] | None = None,
                          tracked: tuple[str, ...] = TRACKED) -> LibraryVersions:
    """The versions of the `tracked` libraries at the project `root` (see the module docstring)."""
    wanted = {normalise(n) for n in tracked}
    found: dict[str, LibraryVersion] = {}
    # Ranges are kept aside: an exact pin from a later source beats a range from an earlier one.
    ranges: dict[str, LibraryVersion] = {}

    def offer(name: str, constraint: Constraint | None, source: str) -> None:
        name = normalise(name)
        if name not in wanted or constraint is None or name in found:
            return
        if constraint.exact:
            found[name] = LibraryVersion(name, constraint, source)
        elif name not in ranges:
            ranges[name] = LibraryVersion(name, constraint, source)

    for name, version in (configured or {}).items():
        if isinstance(name, str) and isinstance(version, str):
            offer(name, parse_specifier(version) if re.match(r"\s*[<>=!~^]", version) else pinned(version),
                  "[tool.chronolint] library-versions")
    for reader in (_lock_versions, _requirements_versions, _pyproject_versions, _virtualenv_versions):
        try:
            for name, constraint, source in reader(root):
                offer(name, constraint, source)
        except (OSError, ValueError, TypeError, AttributeError, KeyError, tomllib.TOMLDecodeError, RecursionError):
            continue  # an unreadable file decides nothing
        if wanted <= set(found):
            break
    for name, version in ranges.items():
        found.setdefault(name, version)
    return LibraryVersions(found, tuple(normalise(n) for n in tracked))


def _read_text(path: str) -> str | None:
    try:
        if os.path.getsize(path) > MAX_FILE_BYTES:
            return None
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return None


def _lock_versions(root: str):
    for lock in LOCK_FILES:
        text = _read_text(os.path.join(root, lock))
        if text is None:
            continue
        if lock == "Pipfile.lock":
            data = json.loads(text)
            for section in ("default", "develop"):
                for name, entry in (data.get(section) or {}).items():
                    if isinstance(entry, dict) and isinstance(entry.get("version"), str):
                        yield name, parse_specifier(entry["version"]), lock
            continue
        data = tomllib.loads(text)
        for package in data.get("package") or []:
            if isinstance(package, dict) and isinstance(package.get("name"), str) and isinstance(package.get("version"), str):
                yield package["name"], pinned(package["version"]), lock


_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*([^;#]*)")


def _requirements_versions(root: str):
    files = sorted(f for f in _listdir(root) if re.fullmatch(r"requirements.*\.txt", f))
    files += sorted(os.path.join("requirements", f) for f in _listdir(os.path.join(root, "requirements")) if f.endswith(".txt"))
    seen: set[str] = set()
    queue = [os.path.normpath(os.path.join(root, f)) for f in files]
    while queue and len(seen) < MAX_REQUIREMENT_FILES:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        text = _read_text(path)
        if text is None:
            continue
        source = os.path.relpath(path, root).replace(os.sep, "/")
        for line in text.splitlines():
            line = line.split(" #", 1)[0].strip()
            include = re.match(r"^(?:-r|-c|--requirement|--constraint)[\s=]*(\S+)", line)
            if include:
                queue.append(os.path.normpath(os.path.join(os.path.dirname(path), include.group(1))))
                continue
            if not line or line.startswith(("-", "#")) or "://" in line or line.startswith((".", "/")):
                continue
            match = _REQUIREMENT.match(line)
            if match and match.group(2).strip():
                yield match.group(1), parse_specifier(match.group(2).strip().replace(" ", "")), source


def _pyproject_versions(root: str):
    text = _read_text(os.path.join(root, "pyproject.toml"))
    if text is None:
        return
    data = tomllib.loads(text)
    project = data.get("project") or {}
    specs = list(project.get("dependencies") or [])
    for group in (project.get("optional-dependencies") or {}).values():
        specs += list(group or [])
    for group in (data.get("dependency-groups") or {}).values():
        specs += [s for s in group or [] if isinstance(s, str)]
    for spec in specs:
        if isinstance(spec, str):
            match = _REQUIREMENT.match(spec)
            if match and match.group(2).strip():
                yield match.group(1), parse_specifier(match.group(2).strip().strip("()").replace(" ", "")), "pyproject.toml"
    poetry = (data.get("tool") or {}).get("poetry") or {}
    tables = [poetry.get("dependencies") or {}]
    tables += [(g or {}).get("dependencies") or {} for g in (poetry.get("group") or {}).values()]
    for table in tables:
        for name, spec in table.items():
            if isinstance(spec, dict):
                spec = spec.get("version")
            if isinstance(spec, str):
                yield name, parse_specifier(spec), "pyproject.toml"


def _virtualenv_versions(root: str):
    for folder in VENV_FOLDERS:
        lib = os.path.join(root, folder, "lib")
        site_dirs = [os.path.join(lib, d, "site-packages") for d in _listdir(lib) if d.startswith(("python", "pypy"))]
        site_dirs.append(os.path.join(root, folder, "Lib", "site-packages"))  # Windows layout
        for site in site_dirs:
            for entry in _listdir(site):
                match = re.fullmatch(r"(.+?)-([^-]+)\.dist-info", entry)
                if match:
                    yield match.group(1), pinned(match.group(2)), f"{folder}/{os.path.relpath(site, os.path.join(root, folder))}/{entry}".replace(os.sep, "/")


def _listdir(folder: str) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []

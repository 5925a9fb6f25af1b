"""Configuration: `[tool.chronolint]` in pyproject.toml or a chronolint.toml, found by
walking up from each file, with command-line overrides on top (as ruff does)."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Callable, Container

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from chronolint.engine.errors import ConfigError
from chronolint.engine.paths import DEFAULT_EXCLUDE, PatternSet, path_matches, relative_path
from chronolint.registry import select_rules, validate_selectors
from chronolint.rules.policy import TIMESTAMP_POLICIES


TARGET_VERSIONS = ("py310", "py311", "py312", "py313", "py314")


def _str_list(key, value):
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"`{key}` must be a list of strings")
    return list(value)


def _bool(key, value):
    if not isinstance(value, bool):
        raise ConfigError(f"`{key}` must be true or false")
    return value


def _str(key, value):
    if not isinstance(value, str):
        raise ConfigError(f"`{key}` must be a string")
    return value


def _per_file_ignores(key, value):
    if not isinstance(value, dict):
        raise ConfigError(f"`{key}` must be a table of glob = [codes]")
    return {pattern: _str_list(f"{key}.{pattern}", codes) for pattern, codes in value.items()}


def _target_version(key, value):
    if value not in TARGET_VERSIONS:
        raise ConfigError(f"`{key}` must be one of {', '.join(TARGET_VERSIONS)}, not {value!r}")
    return value


def _call_invalidation(key, value):
    if value not in ("assigned", "all"):
        raise ConfigError(f"`{key}` must be \"assigned\" or \"all\", not {value!r}")
    return value


def _library_versions(key, value):
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ConfigError(f"`{key}` must be a table of library = \"version\" (e.g. {{ sqlmodel = \"0.0.50\" }})")
    return dict(value)




def _timestamp_policy(key, value):
    if value not in TIMESTAMP_POLICIES:
        raise ConfigError(f"`{key}` must be \"aware\" or \"naive-utc\", not {value!r}")
    return value


def _migrations(key, value):
    if not isinstance(value, dict):
        raise ConfigError(f"`{key}` must be a table")
    known = {"baseline": _str}
    return _validate_table(value, known, prefix=f"{key}.")


# Every key chronolint understands; anything else is an error, as in ruff.
SCHEMA = {
    "select": _str_list,
    "extend-select": _str_list,
    "ignore": _str_list,
    "extend-ignore": _str_list,
    "per-file-ignores": _per_file_ignores,
    "extend-per-file-ignores": _per_file_ignores,
    "exclude": _str_list,
    "respect-gitignore": _bool,
    "extend-exclude": _str_list,
    "target-version": _target_version,
    "fixable": _str_list,
    "unfixable": _str_list,
    "extend-fixable": _str_list,
    "unsafe-fixes": _bool,
    "extend-safe-fixes": _str_list,
    "extend-unsafe-fixes": _str_list,
    "output-format": _str,
    "cache-dir": _str,
    "explicit-updated-at": _bool,
    "updated-at-names": _str_list,
    "updated-at-exempt": _str_list,
    "created-at-names": _str_list,
    "datetime-min-max-wrappers": _str_list,
    "migrations": _migrations,
    # The version of a library whose meaning changes between releases (SQLModel, Django,
    # SQLAlchemy), when the project's lock files and pins do not say it.
    "library-versions": _library_versions,
    # "aware" (default) or "naive-utc": the team stores naive UTC on purpose (see README).
    "timestamp-policy": _timestamp_policy,
    # CHR301: does a call to a method of an object forget None checks on its attributes?
    # "assigned" (default): only those the method is known to assign; "all": every one.
    "flow-call-invalidation": _call_invalidation,
}


DEFAULT_UPDATED_AT_NAMES = ("updated_at", "modified_at", "last_modified", "updated")
DEFAULT_CREATED_AT_NAMES = ("created_at", "created")
# Columns whose writes are bookkeeping, not edits (CHR201); see that rule's docs for the evidence.
DEFAULT_UPDATED_AT_EXEMPT = ("last_*_at", "is_pinned", "pinned", "*_count")


@dataclass(frozen=True)
class RuleOptions:
    """The options rules read, typed: built once per `Settings` from its table (which
    `SCHEMA` validated when it was loaded). Each rule that reads one lists its key in
    `Rule.options` and documents it under `## Options`."""

    updated_at_names: tuple[str, ...] = DEFAULT_UPDATED_AT_NAMES
    created_at_names: tuple[str, ...] = DEFAULT_CREATED_AT_NAMES
    explicit_updated_at: bool = False
    updated_at_exempt: tuple[str, ...] = DEFAULT_UPDATED_AT_EXEMPT
    datetime_min_max_wrappers: tuple[str, ...] = ()
    migrations_baseline: str | None = None
    flow_call_invalidation: str = "assigned"
    timestamp_policy: str = "aware"

    @classmethod
    def from_table(cls, options: dict) -> "RuleOptions":
        """An empty or unset list of names means the defaults, as it always has; an explicit
        empty `updated-at-exempt` means no globs."""
        return cls(
            updated_at_names=tuple(options.get("updated-at-names") or DEFAULT_UPDATED_AT_NAMES),
            created_at_names=tuple(options.get("created-at-names") or DEFAULT_CREATED_AT_NAMES),
            explicit_updated_at=bool(options.get("explicit-updated-at", False)),
            updated_at_exempt=(DEFAULT_UPDATED_AT_EXEMPT if options.get("updated-at-exempt") is None
                               else tuple(options["updated-at-exempt"])),
            datetime_min_max_wrappers=tuple(options.get("datetime-min-max-wrappers") or ()),
            migrations_baseline=(options.get("migrations") or {}).get("baseline"),
            flow_call_invalidation=options.get("flow-call-invalidation") or "assigned",
            timestamp_policy=options.get("timestamp-policy") or "aware",
        )


# The configuration key of each field of `RuleOptions`.
RULE_OPTION_KEYS = {
    "updated_at_names": "updated-at-names",
    "created_at_names": "created-at-names",
    "explicit_updated_at": "explicit-updated-at",
    "updated_at_exempt": "updated-at-exempt",
    "datetime_min_max_wrappers": "datetime-min-max-wrappers",
    "migrations_baseline": "migrations.baseline",
    "flow_call_invalidation": "flow-call-invalidation",
    "timestamp_policy": "timestamp-policy",
}


def _validate_table(table: dict, schema: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in table.items():
        check = schema.get(key)
        if check is None:
            close = [k for k in schema if k.replace("-", "") == key.replace("_", "").replace("-", "")]
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            raise ConfigError(f"unknown key `{prefix}{key}`{hint}")
        out[key] = check(prefix + key, value)
    return out


@dataclass(frozen=True)
class Settings:
    """The settings that apply to the files under one configuration file."""

    root: Path
    config_path: Path | None = None
    options: dict = field(default_factory=dict)
    # Each rule's pre-filter needles for the latest index seen: rule code -> (index, needles).
    # Not copied by `with_overrides` (init=False), so it always matches these options.
    needles_memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def get(self, key: str, default=None):
        return self.options.get(key, default)

    def with_overrides(self, overrides: dict) -> "Settings":
        merged = dict(self.options)
        for key, value in overrides.items():
            if key.startswith("extend-") and key in merged and isinstance(value, list):
                merged[key] = list(merged[key]) + value
            else:
                merged[key] = value
        return replace(self, options=merged)

    @cached_property
    def rule_options(self) -> RuleOptions:
        """What rules read of these settings, typed (the rest is the engine's)."""
        return RuleOptions.from_table(self.options)

    @property
    def target_version(self) -> tuple[int, int]:
        version = self.get("target-version") or "py310"
        return (3, int(version[3:]))

    @cached_property
    def enabled_rules(self) -> list:

        chosen = select_rules(
            self.get("select"),
            self.get("extend-select", []),
            self.get("ignore", []) + self.get("extend-ignore", []),
        )
        return [rule for rule in chosen if rule.applies(self)]

    @cached_property
    def _per_file_ignores(self) -> list[tuple[str, frozenset[str]]]:

        table = dict(self.get("per-file-ignores", {}))
        table.update(self.get("extend-per-file-ignores", {}))
        out = []
        for pattern, selectors in table.items():
            codes = frozenset(rule.code for rule in select_rules(selectors, [], [], everything=True))
            out.append((pattern, codes))
        return out

    def rules_for(self, filename: str) -> list:
        """The enabled rules minus those `per-file-ignores` turns off for `filename`."""
        rules = self.enabled_rules
        if not self._per_file_ignores:
            return rules
        ignored: set[str] = set()
        rel = relative_path(filename, self.root)
        for pattern, codes in self._per_file_ignores:
            if path_matches(rel, pattern):
                ignored |= codes
        return [r for r in rules if r.code not in ignored] if ignored else rules

    @cached_property
    def exclude_patterns(self) -> tuple[str, ...]:
        base = self.get("exclude")
        patterns = list(DEFAULT_EXCLUDE if base is None else base)
        return tuple(patterns + self.get("extend-exclude", []))

    @cached_property
    def _exclude_matcher(self) -> PatternSet:
        return PatternSet(self.exclude_patterns)

    def is_excluded(self, path: str) -> bool:
        return self._exclude_matcher(relative_path(path, self.root))

    def excluded_in(self, folder: str) -> Callable[[str], bool]:
        """`is_excluded` of the entries of `folder` (an absolute path), by name: what the
        folder's own path contributes to each answer is worked out once (see
        `PatternSet.matches_below`), as a walk asks for every file."""
        matcher = self._exclude_matcher
        rel = relative_path(folder, self.root)
        if rel in (".", ""):  # the root (`/` gives ""): an entry's path is its name
            return matcher
        if os.path.isabs(rel):  # not under the root (`--config`): entries may be, or be the root
            return lambda name: self.is_excluded(os.path.join(folder, name))
        if matcher(rel):
            return lambda name: True
        return lambda name: matcher.matches_below(rel, name)


def _requires_python_target(project: dict) -> str | None:
    spec = project.get("requires-python") if isinstance(project, dict) else None
    match = re.search(r">=\s*3\.(\d+)", spec or "")
    if match:
        candidate = f"py3{match.group(1)}"
        return candidate if candidate in TARGET_VERSIONS else None
    return None


def load_config_file(path: Path) -> dict | None:
    """The `[tool.chronolint]` table of a pyproject.toml (None if it has none), or a whole
    chronolint.toml; validated."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("chronolint")
        if table is None:
            return None
        where = f"{path} [tool.chronolint]"
    else:
        table = data
        where = str(path)
    try:
        options = _validate_table(table, SCHEMA)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    if "target-version" not in options and path.name == "pyproject.toml":
        inferred = _requires_python_target(data.get("project", {}))
        if inferred:
            options["target-version"] = inferred
    validate_rule_selectors(options, lambda key: f"{where}: `{key}`")
    return options


SELECTOR_KEYS = ("select", "extend-select", "ignore", "extend-ignore", "fixable", "unfixable",
                 "extend-fixable", "extend-safe-fixes", "extend-unsafe-fixes")


def validate_rule_selectors(options: dict, where: Callable[[str], str] | None = None) -> None:
    """Every rule selector in `options` names a rule (or a prefix of one); else a
    `ConfigError` led by `where(key)`, the place the user wrote it."""
    for key in SELECTOR_KEYS:
        try:
            validate_selectors(options.get(key) or [])
        except ConfigError as exc:
            if where is None:
                raise
            raise ConfigError(f"{where(key)}: {exc}") from None


# Where a folder's settings are, first found wins (else the parent folder's apply).
CONFIG_FILES = ("chronolint.toml", ".chronolint.toml", "pyproject.toml")


class ConfigResolver:
    """Finds the settings for each file: the nearest config file upwards, cached per folder."""

    def __init__(self, overrides: dict | None = None, config_file: str | None = None, cwd: str | None = None,
                 overrides_from: Callable[[str], str] | None = None):
        """`overrides` (command-line flags, editor settings) win over every config file;
        their rule selectors are checked here, an error led by `overrides_from(key)`."""
        self.overrides = overrides or {}
        validate_rule_selectors(self.overrides, overrides_from)
        for key in ("timestamp-policy",):  # values an editor or flake8 passes through
            if key in self.overrides:
                try:
                    SCHEMA[key](key, self.overrides[key])
                except ConfigError as exc:
                    raise ConfigError(f"{overrides_from(key)}: {exc}" if overrides_from else str(exc)) from None
        self.cwd = Path(cwd or os.getcwd()).resolve()
        self._by_dir: dict[str, Settings] = {}
        self._by_path: dict[str, Settings] = {}  # each path asked about, as given
        self._by_folder: dict[str, Settings] = {}  # each file's folder, as given (see `for_file`)
        self._fixed: Settings | None = None
        if config_file is not None:
            path = Path(config_file).resolve()
            if not path.is_file():
                raise ConfigError(f"{config_file}: configuration file not found")
            options = load_config_file(path) or {}
            self._fixed = Settings(path.parent, path, options).with_overrides(self.overrides)
        self._default = Settings(self.cwd, None, {}).with_overrides(self.overrides)

    def for_path(self, path: str) -> Settings:
        if self._fixed is not None:
            return self._fixed
        found = self._by_path.get(path)
        if found is None:
            directory = os.path.abspath(path)
            if not os.path.isdir(directory):
                directory = os.path.dirname(directory)
            found = self._by_path[path] = self._for_dir(directory)
        return found

    def for_file(self, path: str) -> Settings:
        """`for_path` of a path known to be a file: its folder's settings, without a stat.
        Remembered per folder as given (one run does not change directory): a run asks
        for every file, and `abspath` costs a `getcwd` each time."""
        if self._fixed is not None:
            return self._fixed
        folder = os.path.dirname(path)
        found = self._by_folder.get(folder)
        if found is None:
            found = self._by_folder[folder] = self._for_dir(os.path.abspath(folder))
        return found

    def for_folder(self, absolute: str, names: Container[str] | None = None) -> Settings:
        """`for_path` of a folder known by its absolute, normalised path (a walk's): no
        stat. `names`, the folder's entries if the caller listed it: a configuration file
        not among them is not looked for there."""
        if self._fixed is not None:
            return self._fixed
        return self._for_dir(absolute, names)

    def _for_dir(self, directory: str, names: Container[str] | None = None) -> Settings:
        cached = self._by_dir.get(directory)
        if cached is not None:
            return cached
        settings = None
        for name in CONFIG_FILES:
            if names is not None and name not in names:
                continue
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate):
                options = load_config_file(Path(candidate))
                if options is not None:
                    settings = Settings(Path(directory), Path(candidate), options).with_overrides(self.overrides)
                    break
        if settings is None:
            parent = os.path.dirname(directory)
            settings = self._default if parent == directory else self._for_dir(parent)
        self._by_dir[directory] = settings
        return settings

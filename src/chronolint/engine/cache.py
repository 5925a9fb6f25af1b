"""The per-file result cache: JSON under `.chronolint_cache/`, never pickle, so a
repository cannot plant code through its cache. An entry is keyed by the file's path and
content, the settings, the tool version and the project index the file was linted
against; a corrupt or foreign entry is ignored, not trusted."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from pathlib import Path

from chronolint import __version__
from chronolint.engine.diagnostics import Applicability, Diagnostic, Edit, FileResult, Fix, Location

CACHE_DIR = ".chronolint_cache"
_FORMAT = 2


def fingerprint(obj) -> str:
    """A stable hash of plain data (dataclasses included)."""

    def default(value):
        if dataclasses.is_dataclass(value):
            return dataclasses.asdict(value)
        if isinstance(value, (set, frozenset)):
            return sorted(value)
        return repr(value)

    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=default).encode()).hexdigest()


def _loc(loc: Location) -> list[int]:
    return [loc.row, loc.column]


def _diagnostic_to_json(d: Diagnostic) -> dict:
    fix = None
    if d.fix is not None:
        fix = {
            "applicability": d.fix.applicability.value,
            "message": d.fix.message,
            "edits": [[_loc(e.start), _loc(e.end), e.content] for e in d.fix.edits],
        }
    hint = d.fix_hint.value if d.fix_hint is not None else None
    return {"code": d.code, "name": d.name, "message": d.message, "start": _loc(d.start),
            "end": _loc(d.end), "noqa_row": d.noqa_row, "fix": fix, "fix_hint": hint}


def _diagnostic_from_json(item: dict, filename: str) -> Diagnostic:
    fix = item["fix"]
    if fix is not None:
        fix = Fix(
            Applicability(fix["applicability"]),
            str(fix["message"]),
            tuple(Edit(Location(*s), Location(*e), str(c)) for s, e, c in fix["edits"]),
        )
    return Diagnostic(
        code=item["code"], name=str(item["name"]), message=str(item["message"]), filename=filename,
        start=Location(*item["start"]), end=Location(*item["end"]), noqa_row=item["noqa_row"], fix=fix,
        fix_hint=Applicability(item["fix_hint"]) if item.get("fix_hint") else None,
    )


class ResultCache:
    def __init__(self, directory: Path):
        self.directory = directory / __version__ / "results"
        self._ready = False

    def key(self, path: str, text: str, settings_fp: str, index_fp: str) -> str:
        digest = hashlib.sha256()
        for part in (__version__, os.path.abspath(path), settings_fp, index_fp, text):
            digest.update(part.encode("utf-8", "surrogatepass"))
            digest.update(b"\0")
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str, filename: str) -> FileResult | None:
        try:
            with open(self._path(key), encoding="utf-8") as fh:
                data = json.load(fh)
            if data.get("format") != _FORMAT or data.get("key") != key:
                return None
            return FileResult(filename, [_diagnostic_from_json(d, filename) for d in data["diagnostics"]])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, result: FileResult) -> None:
        if result.error is not None:
            return
        data = {"format": _FORMAT, "key": key, "diagnostics": [_diagnostic_to_json(d) for d in result.diagnostics]}
        try:
            self._prepare()
            target = self._path(key)
            target.parent.mkdir(exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh)
            os.replace(tmp, target)
        except OSError:
            pass  # a read-only checkout still lints, just without a cache

    def _prepare(self) -> None:
        if self._ready:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        ignore = self.directory.parents[1] / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Automatically created by chronolint.\n*\n")
        self._ready = True


def cache_root(settings) -> Path:
    return Path(settings.root) / (settings.get("cache-dir") or CACHE_DIR)

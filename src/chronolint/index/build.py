"""Build the `ProjectIndex`: read every Python file under the project root (as text, never
imported), extract each module (cached on disk by content hash), then link classes across
modules: inheritance and mixins, table names, custom column types, `type_annotation_map`.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from chronolint.engine.cache import CACHE_DIR, Manifest, manifest_for, save_manifests, text_digest
from chronolint.engine.config import DEFAULT_EXCLUDE
from chronolint.engine.source import SourceError, read_source
from chronolint.index.extract import EXTRACTOR_VERSION, empty_module, extract_module, may_define_models
from chronolint.index.history import extract as history_extract
from chronolint.index.history.replay import replay
from chronolint.index.model import ColumnInfo, ModelInfo, ProjectIndex, related_module

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", ".git")
DECLARATIVE_BASE_CLASSES = frozenset({
    "sqlalchemy.orm.DeclarativeBase", "sqlalchemy.orm.DeclarativeBaseNoMeta",
    "sqlalchemy.orm.decl_api.DeclarativeBase", "sqlalchemy.orm.decl_api.DeclarativeBaseNoMeta",
})
SQLMODEL_CLASSES = frozenset({"sqlmodel.SQLModel", "sqlmodel.main.SQLModel"})
MAX_INDEXED_BYTES = 2_000_000


def find_project_root(path: str, known: dict[str, str | None] | None = None) -> Path:
    """The nearest folder upwards from `path` holding a pyproject.toml, setup.cfg or .git;
    `known` lets a caller that asks for many files share the per-folder answers."""
    start = os.path.abspath(path)
    if not os.path.isdir(start):
        start = os.path.dirname(start)
    return Path(_marked_folder_above(start, {} if known is None else known) or start)


def _marked_folder_above(folder: str, known: dict[str, str | None]) -> str | None:
    """The nearest folder from `folder` upwards with a root marker, or None (then the
    file's own folder is the project: never `/`). `known` caches answers per folder."""
    if folder in known:
        return known[folder]
    if any(os.path.exists(os.path.join(folder, marker)) for marker in ROOT_MARKERS):
        found = folder
    else:
        parent = os.path.dirname(folder)
        found = None if parent == folder else _marked_folder_above(parent, known)
    known[folder] = found
    return found


def python_files(root: Path):
    """Every `.py` file under `root` (as a string path, in no particular order), skipping
    the folders ruff skips by default and not following symlinked folders."""
    skipped = set(DEFAULT_EXCLUDE)
    folders = [str(root)]
    while folders:
        try:
            with os.scandir(folders.pop()) as listing:
                entries = list(listing)
        except OSError:
            continue
        for entry in entries:
            try:
                is_folder = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_folder:
                if entry.name not in skipped and not entry.name.startswith("."):
                    folders.append(entry.path)
            elif entry.name.endswith(".py"):
                yield entry.path


def build_index(root: str | Path, *, overrides: dict[str, str] | None = None, cache_dir: str | Path | None = None,
                use_cache: bool = True) -> ProjectIndex:
    """The index of the project at `root`. `overrides` maps a path to in-memory source that
    replaces the file's content (an editor buffer, `--stdin-filename`). With the cache, a
    file whose stat is unchanged since it was last read is not read again: its extraction
    comes from the cache manifest (see `chronolint.engine.cache`)."""
    return ProjectModules(root, overrides=overrides, cache_dir=cache_dir, use_cache=use_cache).link()


class ProjectModules:
    """A project's module records, read or recalled from the cache, and linked into its
    `ProjectIndex` only when asked: a warm run whose model files are unchanged needs only
    the index's fingerprint, which the cache keeps beside what it was linked from."""

    def __init__(self, root: str | Path, *, overrides: dict[str, str] | None = None,
                 cache_dir: str | Path | None = None, use_cache: bool = True,
                 files: list[str] | None = None, ready: dict[str, tuple | None] | None = None):
        """`files` is `python_files(root)` if already walked; `ready` maps paths to
        `read_module` results computed ahead (in parallel, by `ProjectIndexes`)."""
        # Absolute, not resolved: module paths are compared with the linted files' own
        # absolute paths, which keep a symlink they were reached through.
        self.root = Path(os.path.abspath(root))
        self.overrides = {os.path.abspath(p): t for p, t in (overrides or {}).items()}
        self.cache_dir = cache_dir
        self.manifest = _manifest(self.root, cache_dir) if use_cache else None
        files = python_files(self.root) if files is None else files
        self.paths = set(files) | {p for p in self.overrides if p.endswith(".py") and _is_under(p, self.root)}
        ready = {} if ready is None else ready
        self.modules: list[dict] = []
        self.checked: dict[str, dict] = {}  # manifest entries found current by this run
        inputs = hashlib.sha256(f"{EXTRACTOR_VERSION}\0{self.root}".encode("utf-8", "surrogatepass"))
        for path in sorted(self.paths):
            if path in self.overrides:
                text = self.overrides[path]
                data, digest = _extract(path, self.root, text), text_digest(text)
            else:
                data, digest = _module_data(path, self.root, self.manifest, self.checked, ready)
            if data is not None:
                self.modules.append(data)
                inputs.update(f"\0{path}\0{digest}".encode("utf-8", "surrogatepass"))
        self.inputs = inputs.hexdigest()  # what linking reads: each model module's content
        if self.manifest is not None:
            self.manifest.forget_missing(str(self.root), self.paths)
        self._index: ProjectIndex | None = None
        self._fingerprint: str | None = None

    def link(self) -> ProjectIndex:
        if self._index is None:
            try:
                self._index = Linker(str(self.root), self.modules).link()
            except (KeyError, TypeError, AttributeError, ValueError):
                if self.manifest is None:
                    raise
                # A cached extraction of the wrong shape (a corrupt or planted cache): never
                # trusted. Forget every cached extraction of this project and extract again
                # (without the cache this time, so a bug of ours cannot loop).
                for path in self.paths:
                    self.manifest.entries.get(path, {}).pop("index", None)
                self.manifest.changed()
                self._index = build_index(self.root, overrides=self.overrides, cache_dir=self.cache_dir, use_cache=False)
        return self._index

    def fingerprint(self) -> str:
        """`ProjectIndex.fingerprint()`, recalled from the cache when the same module
        contents were linked before."""
        if self._fingerprint is None:
            stored = self.manifest.indexes.get(str(self.root)) if self.manifest is not None else None
            if stored is not None and stored[0] == self.inputs:
                self._fingerprint = stored[1]
            else:
                self._fingerprint = self.link().fingerprint()
                if self.manifest is not None:
                    self.manifest.indexes[str(self.root)] = [self.inputs, self._fingerprint]
                    self.manifest.changed()
        return self._fingerprint


def _manifest(root: Path, cache_dir: str | Path | None) -> Manifest:
    return manifest_for(Path(cache_dir or root / CACHE_DIR))


def _is_under(path: str, root: Path) -> bool:
    try:
        Path(path).relative_to(root)
        return True
    except ValueError:
        return False


def _extract(path: str, root: Path, text: str) -> dict | None:
    """The module's record for the index, or None when it cannot define a model nor
    holds facts for the migration replay (`chronolint.index.history`)."""
    models, history = may_define_models(text), history_extract.wants(text)
    if not models and not history:
        return None
    rel_path = Path(path).relative_to(root).as_posix()
    try:
        tree = ast.parse(text, filename=path)
    except (SyntaxError, ValueError, RecursionError):
        if history and history_extract.is_revision_text(text):
            return {**empty_module(rel_path), "path": path, "history": history_extract.broken_record(rel_path)}
        return None
    data = extract_module(tree, rel_path) if models else empty_module(rel_path)
    data["path"] = path
    facts = history_extract.history_record(tree, text, rel_path) if history else None
    if facts is not None:
        data["history"] = facts
    elif not models:
        return None
    return data


def read_module(path: str, root: str) -> tuple | None:
    """Stat, read and extract one file on disk: `(stat, seen, digest, record)`, or None
    when it cannot be indexed. No shared state: runs as well in a worker process."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    # Not a FIFO (reading it would block), not a huge generated file, not unreadable.
    if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_INDEXED_BYTES:
        return None
    seen = time.time_ns()  # taken after the stat, before the read (see Manifest.record)
    try:
        text = read_source(path)
    except SourceError:
        return None
    return st, seen, text_digest(text), _extract(path, Path(root), text)


def _module_data(path: str, root: Path, manifest: Manifest | None, checked: dict,
                 ready: dict[str, tuple | None]) -> tuple[dict | None, str]:
    """`_extract` of the file on disk and the hash of its text: read already (`ready`,
    by `ProjectIndexes.read_pending`), or recalled from the manifest while the file is
    unchanged, or read now. The manifest entry found or made goes into `checked`."""
    if path in ready:
        found = ready.pop(path)
    else:
        try:
            st = os.stat(path)
        except OSError:
            return None, ""
        entry = manifest.known(path, st) if manifest is not None else None
        if entry is not None:
            checked[path] = entry
            stored = entry.get("index")
            # Module names are relative to the root: an entry made for another root is stale.
            if isinstance(stored, list) and len(stored) == 3 and stored[:2] == [EXTRACTOR_VERSION, str(root)]:
                return stored[2], entry["sha"]
        found = read_module(path, str(root))
    if found is None:
        return None, ""
    st, seen, digest, data = found
    if manifest is not None:
        entry = checked[path] = manifest.record(path, st, digest, seen)
        entry["index"] = [EXTRACTOR_VERSION, str(root), data]
    return data, digest


@dataclass
class _Class:
    record: dict
    module: str
    path: str
    qualified: str
    role: str | None = None  # "base" | "model" | "mixin" | "schema" | "other"
    kind: str = "sqlalchemy"
    flask: bool = False
    parents: list["_Class"] = field(default_factory=list)


class Linker:
    """Links the per-module records into models with their full (inherited) columns."""

    def __init__(self, root: str, modules: list[dict]):
        self.root = root
        self.modules = modules
        self.classes: dict[str, _Class] = {}
        self.by_name: dict[str, list[_Class]] = {}
        self.declarative_names: set[str] = set()
        self.flask_dbs: set[str] = set()
        use_tz = {m["use_tz"] for m in modules if m.get("use_tz") is not None}
        self.use_tz = use_tz.pop() if len(use_tz) == 1 else None
        for module in modules:
            self.declarative_names.update(f"{module['module']}.{n}" for n in module["declarative_bases"])
            self.flask_dbs.update(f"{module['module']}.{n}" for n in module["flask_dbs"])
            for record in module["classes"]:
                qualified = f"{module['module']}.{record['name']}"
                cls = _Class(record, module["module"], module["path"], qualified)
                self.classes[qualified] = cls
                self.by_name.setdefault(record["name"], []).append(cls)

    def find(self, qualified: str | None) -> _Class | None:
        if not qualified:
            return None
        if qualified in self.classes:
            return self.classes[qualified]
        module, _, name = qualified.rpartition(".")
        candidates = self.by_name.get(name, [])
        related = [c for c in candidates if related_module(c.module, module)]
        return related[0] if len(related) == 1 else None

    def link(self) -> ProjectIndex:
        index = ProjectIndex(root=self.root, django_use_tz=self.use_tz)
        for cls in self.classes.values():
            self._classify(cls, ())
        for cls in self.classes.values():
            if cls.role in {"model", "schema"} or (cls.role == "mixin" and self._own_columns(cls)):
                info = self._model_info(cls)
                (index.models if cls.role != "mixin" else index.mixins)[cls.qualified] = info
        # The schema the migration history builds (the one hook of `index.history`).
        histories = [m["history"] for m in self.modules if "history" in m]
        if histories:
            index.schema = replay(histories, self._db_type_kind, lambda q: getattr(index.resolve(q), "table", None))
        return index

    # -- classification -------------------------------------------------------------

    def _classify(self, cls: _Class, seen: tuple) -> None:
        if cls.role is not None or cls.qualified in seen:
            return
        record = cls.record
        cls.role = "other"
        if record["decorated_declarative"]:
            cls.role = "base"
            return
        for base in record["bases"]:
            self._classify_base(cls, base, seen + (cls.qualified,))
            if cls.role in {"base", "model", "schema"}:
                break
        if cls.role == "other" and record["columns"]:
            cls.role = "mixin"
            cls.kind = record["columns"][0]["kind"]

    def _classify_base(self, cls: _Class, base: dict, seen: tuple) -> None:
        qualified, spelled = base["q"], base["spelled"] or ""
        if qualified in DECLARATIVE_BASE_CLASSES:
            cls.role = "base"
        elif qualified in self.declarative_names:
            cls.role = "model"
        elif spelled == "db.Model" or spelled.endswith(".Model") and (qualified or "")[: -len(".Model")] in self.flask_dbs:
            cls.role, cls.flask = "model", True
        elif qualified in SQLMODEL_CLASSES:
            cls.role, cls.kind = ("model" if cls.record["table_kw"] else "schema"), "sqlmodel"
        elif (qualified or "").startswith("django.db.models") and qualified.endswith(".Model"):
            cls.role, cls.kind = "model", "django"
        else:
            parent = self.find(qualified)
            if parent is None or parent is cls:
                return
            self._classify(parent, seen)
            cls.parents.append(parent)
            if parent.role in {"base", "model"}:
                cls.role, cls.kind, cls.flask = "model", parent.kind, parent.flask
            elif parent.role == "schema":
                cls.role, cls.kind = ("model" if cls.record["table_kw"] else "schema"), "sqlmodel"

    # -- model facts ------------------------------------------------------------------

    def _own_columns(self, cls: _Class) -> list[dict]:
        return cls.record["columns"]

    def _mro(self, cls: _Class, seen: set | None = None) -> list[_Class]:
        """Project classes from the most basic to `cls` itself (a simple linearisation)."""
        seen = set() if seen is None else seen
        if cls.qualified in seen:
            return []
        seen.add(cls.qualified)
        order: list[_Class] = []
        all_bases = [self.find(b["q"]) for b in cls.record["bases"]]
        for parent in reversed([p for p in all_bases if p is not None and p is not cls]):
            for item in self._mro(parent, seen):
                if item not in order:
                    order.append(item)
        order.append(cls)
        return order

    def _model_info(self, cls: _Class) -> ModelInfo:
        record = cls.record
        mro = self._mro(cls)
        columns: dict[str, ColumnInfo] = {}
        for owner in mro:
            for column in owner.record["columns"]:
                columns[column["attr"]] = self._column_info(column, owner, mro)
        abstract = record["abstract"] or record["django_abstract"] or cls.role == "schema"
        return ModelInfo(
            name=record["name"], module=cls.module, path=cls.path, line=record["line"], kind=cls.kind,
            table=None if abstract else self._table_name(cls, mro), bases=tuple(b["spelled"] or "" for b in record["bases"]),
            abstract=abstract, columns=columns, is_mixin=cls.role == "mixin",
        )

    def _table_name(self, cls: _Class, mro: list[_Class]) -> str | None:
        record = cls.record
        if record["tablename"]:
            return record["tablename"]
        if cls.kind == "django":
            app_label = cls.module.split(".")[-2] if "." in cls.module else cls.module
            return record["django_db_table"] or f"{app_label}_{record['name'].lower()}"
        if cls.kind == "sqlmodel" and not record["has_tablename"]:
            return record["name"].lower()
        if not record["has_tablename"] and any(a.record.get("tablename_rule") == "snake" for a in mro[:-1]):
            return _snake_case(record["name"])  # a base's `__tablename__` made from the class name
        for ancestor in reversed(mro[:-1]):
            if ancestor.record["tablename"] and ancestor.role == "model":
                if cls.flask and any(c["key"] and c["attr"] == "id" for c in record["columns"]):
                    break
                return ancestor.record["tablename"]
        if cls.flask and not record["has_tablename"]:
            return _snake_case(record["name"])
        return None

    def _column_info(self, column: dict, owner: _Class, mro: list[_Class]) -> ColumnInfo:
        timestamp, aware = column["timestamp"], column["aware"]
        if column["custom"]:
            timestamp, aware = self._custom_type(column["custom"], set())
            if timestamp is None and column.get("annotated_datetime"):
                timestamp = True
        elif column["from_annotation"]:
            aware = self._annotation_map_awareness(mro)
        elif column["kind"] == "django" and timestamp:
            aware = self.use_tz
        db_aware = aware
        if column["custom"]:
            kind = self._db_type_kind(column["custom"])
            db_aware = {"aware": True, "naive": False}.get(kind) if kind else None
        return ColumnInfo(
            column_name=column.get("name") or column["attr"], db_aware=db_aware if timestamp else None,
            attr=column["attr"], line=column["line"], is_timestamp=bool(timestamp), aware=aware if timestamp else None,
            nullable=column["nullable"], has_default=column["has_default"], has_onupdate=column["has_onupdate"],
            has_server_default=column["has_server_default"], has_server_onupdate=column["has_server_onupdate"],
            auto_now=column["auto_now"], owner=owner.qualified, path=owner.path, span=tuple(column["report"]),
            fixable=column["fixable"] and aware is False, from_annotation=column["from_annotation"], is_key=column["key"],
        )

    def _annotation_map_awareness(self, mro: list[_Class]) -> bool | None:
        """SQLAlchemy maps a bare `Mapped[datetime]` through the base's `type_annotation_map`,
        else to naive `DateTime`. Unknown when the declarative base is not in the project."""
        for cls in reversed(mro):
            mapping = cls.record["type_annotation_map"]
            if mapping and "datetime.datetime" in mapping:
                entry = mapping["datetime.datetime"]
                if entry["custom"]:
                    return self._custom_type(entry["custom"], set())[1]
                return entry["aware"]
        if any(cls.role == "base" for cls in mro) or any(b["q"] in self.declarative_names for cls in mro for b in cls.record["bases"]):
            return False
        return None

    def _custom_type(self, qualified: str, seen: set) -> tuple[bool | None, bool | None]:
        """(timestamp?, aware?) of a project column type; (None, None) when unknown."""
        cls = self.find(qualified)
        if cls is None or cls.qualified in seen:
            return None, None
        seen.add(cls.qualified)
        facts = cls.record["typedecorator"] or {"impl": {"timestamp": None, "aware": None, "custom": None}, "handles_zones": False, "has_hooks": False}
        impl = facts["impl"]
        if facts["handles_zones"]:
            return True, True
        if impl["custom"]:
            return self._custom_type(impl["custom"], seen)
        if impl["timestamp"] is None:
            return self._inherited_type(cls, seen)
        if not impl["timestamp"]:
            return False, None
        if impl["aware"]:
            return True, True
        return True, (False if not facts["has_hooks"] else None)


    def _db_type_kind(self, qualified: str, seen: set | None = None) -> str | None:
        """What the database column of a project type is: its `impl`'s "aware", "naive"
        or "other" (whatever its hooks do to values), or None when unknown."""
        seen = set() if seen is None else seen
        cls = self.find(qualified)
        if cls is None or cls.qualified in seen or not cls.record["typedecorator"]:
            return None
        seen.add(cls.qualified)
        impl = cls.record["typedecorator"]["impl"]
        if impl["custom"]:
            return self._db_type_kind(impl["custom"], seen)
        if impl["timestamp"] is None:
            for base in cls.record["bases"]:
                found = self._db_type_kind(base["q"], seen) if base["q"] else None
                if found:
                    return found
            return None
        return "other" if not impl["timestamp"] else "aware" if impl["aware"] else "naive"

    def _inherited_type(self, cls: _Class, seen: set) -> tuple[bool | None, bool | None]:
        """A project type without its own `impl` (`class EventTime(UtcDateTime)`) is its base."""
        for base in cls.record["bases"]:
            found = self._custom_type(base["q"], seen) if base["q"] else (None, None)
            if found != (None, None):
                return found
        return None, None

def _snake_case(name: str) -> str:
    """Flask-SQLAlchemy's default table name: `AgentSession` → `agent_session`."""
    return re.sub(r"((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))", r"_\1", name).lower().lstrip("_")


def index_for_paths(paths: list[str], resolver, *, overrides: dict[str, str] | None = None,
                    use_cache: bool = True) -> ProjectIndex | None:
    """The index of the project holding `paths[0]`, or None when no enabled rule needs it."""
    index = ProjectIndexes(resolver, overrides=overrides, use_cache=use_cache).for_file(paths[0]) if paths else None
    if use_cache:
        save_manifests()
    return index


class ProjectIndexes:
    """One index per project root, built on first use: a run over several projects
    (`chronolint check app1 app2`) gives each file the index of its own project."""

    def __init__(self, resolver, *, overrides: dict[str, str] | None = None, use_cache: bool = True):
        self.resolver = resolver
        self.overrides = overrides
        self.use_cache = use_cache
        self._by_root: dict[Path, ProjectModules] = {}
        self._marked: dict[str, str | None] = {}  # per-folder root answers, for this run
        self._root_of: dict[str, Path | None] = {}  # a file's folder -> its project root (None: no index needed)
        self._walked: dict[Path, list[str]] = {}  # python_files(root), walked ahead by pending_reads
        self._ready: dict[str, tuple | None] = {}  # read_module results computed ahead

    def _root_for(self, path: str) -> Path | None:
        """The project root of the file `path`, or None when no enabled rule needs an index."""
        folder = os.path.dirname(path)  # as given: one run does not change directory
        if folder not in self._root_of:
            # A folder's files share their settings (the nearest config file upwards).
            needed = any(rule.needs_index for rule in self.resolver.for_file(path).enabled_rules)
            self._root_of[folder] = find_project_root(path, self._marked) if needed else None
        return self._root_of[folder]

    def _project(self, path: str) -> ProjectModules | None:
        root = self._root_for(path)
        if root is None:
            return None
        project = self._by_root.get(root)
        if project is None:
            project = self._by_root[root] = ProjectModules(
                root, overrides=self.overrides, cache_dir=self._cache_dir(path), use_cache=self.use_cache,
                files=self._walked.pop(root, None), ready=self._ready)
        return project

    def _cache_dir(self, path: str) -> Path | None:
        settings = self.resolver.for_file(path)
        cache_dir = settings.get("cache-dir")
        return None if cache_dir is None else Path(settings.root) / cache_dir

    def pending_reads(self, files: list[str]) -> list[tuple[str, str]]:
        """`(path, root)` of each file that building the indexes `files` need will have
        to read (no cached extraction), for a caller to run `read_module` on them in
        parallel and hand the results to `provide`. Walks each project once."""
        pending = []
        for root, path in {self._root_for(path): path for path in files}.items():
            if root is None or root in self._by_root or root in self._walked:
                continue
            manifest = _manifest(root, self._cache_dir(path)) if self.use_cache else None
            walked = self._walked[root] = list(python_files(root))
            for module in walked:
                entry = manifest.entries.get(module) if manifest is not None else None
                if entry is None or "index" not in entry:
                    pending.append((module, str(root)))
        return pending

    def provide(self, results: dict[str, tuple | None]) -> None:
        self._ready.update(results)

    def for_file(self, path: str) -> ProjectIndex | None:
        """The index of the project holding `path`; None when no enabled rule needs one."""
        project = self._project(path)
        return None if project is None else project.link()

    def checked_entry(self, path: str, absolute: str, manifest: Manifest) -> dict | None:
        """The entry of `manifest` for the file `path` (`absolute`, its key) if building
        its project's index just found it current or recorded it: no need to stat it again."""
        project = self._project(path)
        if project is None or project.manifest is not manifest:
            return None
        return project.checked.get(absolute)

    def fingerprint_for(self, path: str) -> str:
        """What a cache key needs of `for_file(path)`, without linking it when the cache
        remembers it; "" when no enabled rule needs an index."""
        project = self._project(path)
        return "" if project is None else project.fingerprint()

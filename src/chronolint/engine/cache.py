"""The cache: JSON under `.chronolint_cache/`, never pickle, so a repository cannot plant
code through its cache; a corrupt or foreign entry is ignored, not trusted.

One file per cache folder and tool version (with a digest of chronolint's own code), the
*manifest*, remembers each file it has seen by path: its stat when last read, the sha256
of its text, and what was derived from that text (the project index's extraction, the
last lint result with the key it was computed under). The extractions of model modules,
half of all it holds, are kept apart in a second file, read only when an index has to be
linked: a warm run, whose models are unchanged, never needs them. A result is keyed by
the file's path and content hash, the settings, the tool version and the project index;
the stat only spares re-reading and re-hashing a file whose stat has not changed, so an
unchanged tree costs one `stat` per file (as git's index does, and with git's guard
against a file written again within the same clock tick).

A result's key is computed from public facts, so anyone could write a manifest whose
stored results say "no findings" and ship it with a repository (`git add -f`, a tarball,
a restored CI artifact). The manifest is therefore sealed: its first line is a keyed
BLAKE2b MAC of the rest, under a secret that never lives in a repository (`cache_secret`:
`$CHRONOLINT_CACHE_KEY`, else a random key created once, 0600, in the user's cache
folder). A manifest that does not verify is ignored whole, and rewritten on save: a cache
that arrives with a checkout costs a cold run, never a finding. The extractions file is
sealed the same way, and a record in it serves only the content its entry names."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import sys
from functools import lru_cache
from pathlib import Path

from chronolint import __version__
from chronolint.engine.diagnostics import Applicability, Diagnostic, Edit, FileResult, Fix, Location

CACHE_DIR = ".chronolint_cache"
_FORMAT = 5  # 4: sealed (a MAC line before the JSON); 5: model extractions in a file of their own
KEY_ENV = "CHRONOLINT_CACHE_KEY"
_SEAL = b"chronolint-cache-mac "


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


def result_key(absolute: str, digest: str, settings_fp: str, index_fp: str) -> str:
    """The key a file's lint result is stored under: tool version, absolute path, content
    hash, settings and project index; a result under any other key is not reused."""
    parts = f"{__version__}\0{absolute}\0{digest}\0{settings_fp}\0{index_fp}\0"
    return hashlib.sha256(parts.encode("utf-8", "surrogatepass")).hexdigest()


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def result_to_json(key: str, result: FileResult) -> dict:
    return {"key": key, "diagnostics": [_diagnostic_to_json(d) for d in result.diagnostics]}


def result_from_json(data, key: str, filename: str) -> FileResult | None:
    """The stored result if it was computed under `key` and reads back whole, else None."""
    try:
        if data.get("key") != key:
            return None
        return FileResult(filename, [_diagnostic_from_json(d, filename) for d in data["diagnostics"]])
    except (AttributeError, ValueError, KeyError, TypeError):
        return None


# A file whose mtime is this close to the moment it was read may have been written again
# within the same timestamp tick after the read: its stat proves nothing, so it is hashed
# again next time (git's "racily clean" entries). Two seconds covers coarse filesystems.
RACY_NS = 2_000_000_000


def _stat_key(st: os.stat_result) -> list[int]:
    # ctime too: any write or `touch` changes it, and it cannot be set back by hand.
    return [st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino]


# The data of an entry's `index` (`[extractor version, project root, data]`) when it is kept
# in the manifest's extractions file: `Manifest.extraction` reads it from there.
STORED = True


class Manifest:
    """The manifest of one cache folder (see the module docstring). Entries are plain
    dicts: `sha`, `stat`, `seen` (when the file was stat-ed and read), and whatever the
    index (`index`) and the runner (`result`) derived from that content. An `index`
    whose data is neither None nor `STORED` is moved to the extractions file on save."""

    def __init__(self, directory: Path):
        self.directory = directory  # <cache folder>/<version>
        self.file = directory / "files.json"
        self.extractions_file = directory / "extractions.json"
        self._entries: dict[str, dict] | None = None
        self._indexes: dict[str, list] | None = None
        # path -> [sha, extractor version, root, data]: read when first asked for
        self._extractions: dict[str, list] | None = None
        self._dirty = False

    @property
    def entries(self) -> dict[str, dict]:
        if self._entries is None:
            self._load()
        return self._entries

    @property
    def indexes(self) -> dict[str, list]:
        """Per project root: [digest of what its index was linked from, index fingerprint]."""
        if self._indexes is None:
            self._load()
        return self._indexes

    def _load(self) -> None:
        self._entries, self._indexes = {}, {}
        data = read_sealed(self.file)  # missing, corrupt or not sealed by us: start empty
        if isinstance(data, dict) and data.get("format") == _FORMAT:
            if isinstance(data.get("files"), dict):
                self._entries = {p: e for p, e in data["files"].items() if isinstance(e, dict)}
            if isinstance(data.get("indexes"), dict):
                self._indexes = {r: v for r, v in data["indexes"].items()
                                 if isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) for x in v)}

    def extraction(self, path: str):
        """The index data kept apart (`STORED`) for `path`'s entry. KeyError if the
        extractions file has none for the entry as it is (a run that stopped between
        writing the two files, a file not sealed by us): then the index is built again."""
        entry = self.entries[path]
        record = self._stored_extractions().get(path)
        if record is None or record[:3] != [entry.get("sha"), *entry["index"][:2]]:
            raise KeyError(path)
        return record[3]

    def _stored_extractions(self) -> dict[str, list]:
        if self._extractions is None:
            self._extractions = {}
            data = read_sealed(self.extractions_file)
            if isinstance(data, dict) and data.get("format") == _FORMAT and isinstance(data.get("extractions"), dict):
                self._extractions = {p: r for p, r in data["extractions"].items() if isinstance(r, list) and len(r) == 4}
        return self._extractions

    def _store_extractions(self) -> None:
        """Move the index data derived in this run to the extractions file, and write it
        (pruned of what no entry refers to any more) when there was any. Raises OSError."""
        fresh = {}
        for path, entry in self._entries.items():
            index = entry.get("index")
            if isinstance(index, list) and len(index) == 3 and index[2] is not None and index[2] is not STORED:
                fresh[path] = [entry.get("sha"), index[0], index[1], index[2]]
        if not fresh:
            return
        kept = self._stored_extractions()
        kept.update(fresh)
        for path in fresh:
            index = self._entries[path]["index"]
            self._entries[path]["index"] = [index[0], index[1], STORED]
        self._extractions = {p: r for p, r in kept.items() if self._refers_to(p, r)}
        write_sealed(self.extractions_file, {"format": _FORMAT, "extractions": self._extractions})

    def _refers_to(self, path: str, record: list) -> bool:
        entry = self._entries.get(path)
        index = entry.get("index") if entry is not None else None
        return (isinstance(index, list) and len(index) == 3 and index[2] is STORED
                and record[:3] == [entry.get("sha"), index[0], index[1]])

    def known(self, path: str, st: os.stat_result) -> dict | None:
        """The entry for `path` if the file is, by its stat, as it was when last read."""
        entry = self.entries.get(path)
        if entry is None or entry.get("stat") != _stat_key(st) or not isinstance(entry.get("sha"), str):
            return None
        seen = entry.get("seen")
        if not isinstance(seen, int) or st.st_mtime_ns >= seen - RACY_NS:
            return None
        return entry

    def record(self, path: str, st: os.stat_result, digest: str, seen: int) -> dict:
        """The entry for `path` after reading it: `st` taken before the read, at `seen`
        (ns). What was derived from the same content is kept; from other content, dropped."""
        entry = self.entries.get(path)
        if entry is None or entry.get("sha") != digest:
            entry = self.entries[path] = {"sha": digest}
        entry["stat"] = _stat_key(st)
        entry["seen"] = seen
        self._dirty = True
        return entry

    def changed(self) -> None:
        self._dirty = True

    def forget_missing(self, folder: str, present: set[str]) -> None:
        """Drop the entries of files under `folder` that are no longer there (`present`
        lists files known to exist; any other entry there is checked on disk)."""
        prefix = os.path.join(folder, "")
        gone = [p for p in self.entries if p.startswith(prefix) and p not in present and not os.path.exists(p)]
        for path in gone:
            del self.entries[path]
        self._dirty = self._dirty or bool(gone)

    def save(self) -> None:
        if not self._dirty or self._entries is None or cache_secret() is None:
            return  # without a secret nothing written could be trusted again: write nothing
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            ignore = self.directory.parent / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# Automatically created by chronolint.\n*\n")
            self._store_extractions()  # first: entries refer to what is written there by content
            write_sealed(self.file, {"format": _FORMAT, "files": self._entries, "indexes": self.indexes})
            self._dirty = False
        except OSError:
            return  # a read-only checkout still lints, just without a cache
        self._remove_other_stamps()

    def _remove_other_stamps(self) -> None:
        """Caches of other chronolint versions or code beside this one: never read again."""
        import shutil

        for other in self.directory.parent.iterdir():
            if other.is_dir() and other != self.directory and not other.is_symlink():
                shutil.rmtree(other, ignore_errors=True)


_MANIFESTS: dict[Path, Manifest] = {}


# --------------------------------------------------------------------------- the seal


def _key_file() -> Path | None:
    """Where the cache secret is kept: the user's cache folder, never a repository's."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.environ.get("LOCALAPPDATA", "") if os.name == "nt" else ""
        if not os.path.isabs(base):
            home = os.path.expanduser("~")
            if not os.path.isabs(home):
                return None
            base = os.path.join(home, ".cache")
    return Path(base) / "chronolint" / "key"


@lru_cache(maxsize=None)
def cache_secret() -> bytes | None:
    """The key that seals every manifest: `$CHRONOLINT_CACHE_KEY` if set (CI: from a
    secret, or from a key file restored beside the cache), else the contents of the key
    file, created with 32 random bytes on first use. None when neither can be had (no
    writable home): then the cache is neither trusted nor written."""
    given = os.environ.get(KEY_ENV, "")
    if given:
        return hashlib.sha256(b"chronolint-cache-key\0" + given.encode("utf-8", "surrogatepass")).digest()
    path = _key_file()
    if path is None:
        return None
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    except OSError:
        return None
    import secrets
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key.")  # 0600
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32) + "\n")
            try:
                os.link(tmp, path)  # never replaces a key another process made meanwhile
            except FileExistsError:
                pass
            except OSError:  # no hard links here
                if not path.exists():
                    os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return _read_key(path)
    except OSError:
        return None


def _read_key(path: Path) -> bytes | None:
    secret = path.read_bytes().strip()
    if len(secret) < 32:
        return None  # an empty or truncated key would seal nothing: do not use it
    return hashlib.sha256(b"chronolint-cache-key\0" + secret).digest()


def _seal(file: Path, body: bytes) -> bytes | None:
    """The MAC line of a manifest: the body and where it is (a sealed manifest moved to
    another folder or stamp does not verify there)."""
    secret = cache_secret()
    if secret is None:
        return None
    mac = hashlib.blake2b(digest_size=32, key=secret)
    mac.update(os.fsencode(os.path.abspath(file)))
    mac.update(b"\0")
    mac.update(body)
    return _SEAL + mac.hexdigest().encode()


def read_sealed(file: Path):
    """The JSON data of a sealed file, or None if it is missing, corrupt, or was not
    sealed with this user's (or this CI's) secret."""
    try:
        with open(file, "rb") as fh:
            raw = fh.read()
    except OSError:
        return None
    head, newline, body = raw.partition(b"\n")
    expected = _seal(file, body)
    if not newline or expected is None or not hmac.compare_digest(head, expected):
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def write_sealed(file: Path, data) -> None:
    """Write `data` as JSON behind its MAC line, atomically. Raises OSError."""
    import tempfile  # only when there is something to write

    body = json.dumps(data, separators=(",", ":")).encode("utf-8", "surrogatepass")
    seal = _seal(file, body)
    if seal is None:
        raise OSError("no cache secret")
    fd, tmp = tempfile.mkstemp(dir=file.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(seal + b"\n" + body)
        os.replace(tmp, file)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@lru_cache(maxsize=None)
def code_stamp() -> str:
    """The tool version and a digest of chronolint's own code (and the Python running
    it): results computed by other code are never reused, without a version bump or
    `chronolint clean`. Installed from a wheel, the code is what pip's RECORD says (the
    sha256 of each module): the same on every machine that installs the same wheel, so
    a CI cache restored into a fresh install stays valid (pip gives the files new
    mtimes). A checkout being edited (an editable install, no such RECORD) is stamped by
    the stat of its modules instead: about 150 stats, once per process."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    digest = hashlib.sha256(f"{sys.version_info[0]}.{sys.version_info[1]}\0".encode())
    record = installed_record(package)
    if record:
        digest.update("\n".join(record).encode("utf-8", "surrogateescape"))
        return f"{__version__}-{digest.hexdigest()[:12]}"
    for folder, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                st = os.stat(os.path.join(folder, name))
                digest.update(f"{os.path.relpath(folder, package)}/{name}\0{st.st_mtime_ns}\0{st.st_size}\0".encode())
    return f"{__version__}-{digest.hexdigest()[:12]}"


def installed_record(package: str) -> list[str]:
    """The lines of pip's RECORD naming chronolint's modules and their sha256, when this
    package was installed from a wheel beside its `.dist-info`; else []."""
    site = os.path.dirname(package)
    name = os.path.basename(package)
    try:
        infos = [d for d in os.listdir(site) if d.startswith(name + "-") and d.endswith(".dist-info")]
        if len(infos) != 1:
            return []
        with open(os.path.join(site, infos[0], "RECORD"), encoding="utf-8", errors="surrogateescape") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return []
    prefix = name + "/"
    return sorted(line for line in lines if line.startswith(prefix) and ".py,sha256=" in line)


def manifest_for(cache_folder: Path) -> Manifest:
    """The manifest of a cache folder (`.chronolint_cache`), one per folder and process."""
    directory = Path(os.path.abspath(cache_folder)) / code_stamp()
    manifest = _MANIFESTS.get(directory)
    if manifest is None:
        manifest = _MANIFESTS[directory] = Manifest(directory)
    return manifest


def save_manifests() -> None:
    for manifest in _MANIFESTS.values():
        manifest.save()


def cache_root(settings) -> Path:
    return Path(settings.root) / (settings.get("cache-dir") or CACHE_DIR)

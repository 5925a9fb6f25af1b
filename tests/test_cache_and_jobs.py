"""The result cache (JSON, keyed by content, settings and index) and parallel runs."""

from __future__ import annotations

import json
import os
from pathlib import Path

from chronolint.engine.cache import read_sealed, write_sealed

BUG = "from datetime import datetime\nx = datetime.utcnow()\n"


def _project(root, n=3):
    (root / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    for i in range(n):
        (root / f"m{i}.py").write_text(BUG)
    return root


def _manifest(root):
    (path,) = (root / ".chronolint_cache").glob("*/files.json")
    return path


def _entries(root):
    return read_sealed(_manifest(root))["files"]


def _write_entries(root, entries):
    """Edit the cache as its owner could: sealed again with this user's key (as the
    `chronolint` the test runs reads it; see test_cache_trust for everyone else)."""
    path = _manifest(root)
    data = read_sealed(path)
    data["files"] = entries
    write_sealed(path, data)


def _result_of(entries, name):
    (entry,) = [e for p, e in entries.items() if p.endswith(name)]
    return entry["result"]


def test_cache_is_json_ignored_by_git_and_reused(tmp_path, chronolint):
    _project(tmp_path)
    first = chronolint("check", ".", cwd=tmp_path)
    entries = _entries(tmp_path)  # plain JSON, never pickle
    assert sorted(os.path.basename(p) for p in entries) == ["m0.py", "m1.py", "m2.py"]
    assert (tmp_path / ".chronolint_cache" / ".gitignore").read_text().strip().endswith("*")
    # A cached result is what the second run reports: poison one and the output shows it.
    _result_of(entries, "m0.py")["diagnostics"][0]["message"] = "from the cache"
    _write_entries(tmp_path, entries)
    second = chronolint("check", ".", cwd=tmp_path)
    assert "from the cache" in second.stdout
    assert second.returncode == first.returncode == 1


def test_changed_content_or_settings_miss_the_cache(tmp_path, chronolint):
    _project(tmp_path, n=1)
    chronolint("check", ".", cwd=tmp_path)
    (tmp_path / "m0.py").write_text("from datetime import datetime\n\nx = datetime.utcnow()\n")
    assert "m0.py:3:5: CHR002" in chronolint("check", ".", cwd=tmp_path).stdout
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n[tool.chronolint]\nignore = ['CHR002']\n")
    assert chronolint("check", ".", cwd=tmp_path).returncode == 0


def test_a_rewrite_that_keeps_size_and_mtime_is_still_seen(tmp_path, chronolint):
    """The stat check compares ctime too, which a write always changes and no one can set back."""
    _project(tmp_path, n=1)
    target = tmp_path / "m0.py"
    old = target.stat()
    os.utime(target, ns=(old.st_atime_ns, old.st_mtime_ns - 10**10))  # an old file: its stat is trusted
    chronolint("check", ".", cwd=tmp_path)
    before = target.stat()
    same_size = BUG.replace("utcnow()", "today() ")
    assert len(same_size) == len(BUG)
    target.write_text(same_size)
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert target.stat().st_size == before.st_size and target.stat().st_mtime_ns == before.st_mtime_ns
    out = chronolint("check", ".", "--select", "CHR002,CHR003", cwd=tmp_path)
    assert "CHR003" in out.stdout and "CHR002" not in out.stdout


def test_a_file_read_in_its_own_timestamp_tick_is_hashed_again(tmp_path):
    """git's racily-clean guard: a file whose mtime is within RACY_NS of when it was read
    may have changed again in the same tick, so its stat proves nothing."""
    from chronolint.engine.cache import RACY_NS, Manifest

    path = tmp_path / "m.py"
    path.write_text(BUG)
    st = path.stat()
    manifest = Manifest(tmp_path / "cache")
    manifest.record(str(path), st, "digest", seen=st.st_mtime_ns + RACY_NS // 2)
    assert manifest.known(str(path), st) is None
    manifest.record(str(path), st, "digest", seen=st.st_mtime_ns + RACY_NS + 1)
    assert manifest.known(str(path), st)["sha"] == "digest"
    manifest.save()
    again = Manifest(tmp_path / "cache")
    assert again.known(str(path), st)["sha"] == "digest"
    assert again.known(str(path), os.stat(tmp_path / "cache" / "files.json")) is None


def test_corrupt_or_foreign_entries_are_ignored(tmp_path, chronolint):
    _project(tmp_path, n=2)
    chronolint("check", ".", cwd=tmp_path)
    entries = _entries(tmp_path)
    poisoned = _result_of(entries, "m0.py")
    poisoned["key"] = "0" * 64  # a result computed under other settings or another index
    poisoned["diagnostics"] = []
    _result_of(entries, "m1.py")["diagnostics"] = [{"not": "a diagnostic"}]
    _write_entries(tmp_path, entries)
    out = chronolint("check", ".", cwd=tmp_path)
    assert out.stdout.count("CHR002") == 2 and "Traceback" not in out.stderr
    _manifest(tmp_path).write_text("{not json")
    out = chronolint("check", ".", cwd=tmp_path)
    assert out.stdout.count("CHR002") == 2 and "Traceback" not in out.stderr
    assert len(_entries(tmp_path)) == 2  # rewritten whole


MODELS = """from sqlalchemy import Column, DateTime, Integer, String, func
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Job(Base):
    __tablename__ = "job"
    id = Column(Integer, primary_key=True)
    name = Column(String)
    updated_at = Column(DateTime(timezone=True))
"""

SERVICE = """from app.models import Job


def rename(session, job_id, name):
    job = session.get(Job, job_id)
    job.name = name
"""


def test_index_positions_do_not_invalidate_other_files(tmp_path, chronolint):
    """Results depend on what the project index says, not on where: inserting lines in a
    models file re-lints that file only; changing a model re-lints every file."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "models.py").write_text(MODELS)
    (tmp_path / "app" / "service.py").write_text(SERVICE)
    first = chronolint("check", ".", "--select", "CHR201", cwd=tmp_path)
    assert "service.py:4:5: CHR201" in first.stdout
    entries = _entries(tmp_path)
    _result_of(entries, "service.py")["diagnostics"][0]["message"] = "from the cache"
    _write_entries(tmp_path, entries)
    (tmp_path / "app" / "models.py").write_text("# a new first line\n\n" + MODELS)
    assert "from the cache" in chronolint("check", ".", "--select", "CHR201", cwd=tmp_path).stdout
    (tmp_path / "app" / "models.py").write_text(MODELS.replace("(timezone=True))", "(timezone=True), onupdate=func.now())"))
    assert chronolint("check", ".", "--select", "CHR201", cwd=tmp_path).returncode == 0


def test_model_extractions_are_reused_only_for_the_content_they_were_made_from(tmp_path, chronolint):
    """Model extractions are kept in a file of their own, which a warm run never reads: an
    extractions file that does not match the manifest (from an earlier run, or a run that
    stopped between writing the two) is used only for the files it was made from."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    models, service = tmp_path / "app" / "models.py", tmp_path / "app" / "service.py"
    models.write_text(MODELS.replace("(timezone=True))", "(timezone=True), onupdate=func.now())"))
    service.write_text(SERVICE)
    assert chronolint("check", ".", "--select", "CHR201", cwd=tmp_path).returncode == 0
    (extractions,) = (tmp_path / ".chronolint_cache").glob("*/extractions.json")
    earlier = extractions.read_bytes()  # sealed by us: says `Job.updated_at` has an onupdate
    models.write_text(MODELS)
    assert "service.py:4:5: CHR201" in chronolint("check", ".", "--select", "CHR201", cwd=tmp_path).stdout
    extractions.write_bytes(earlier)
    service.write_text(SERVICE + "\n")  # linted again, against the index
    assert "service.py:4:5: CHR201" in chronolint("check", ".", "--select", "CHR201", cwd=tmp_path).stdout


def test_no_cache_writes_nothing_and_clean_removes_it(tmp_path, chronolint):
    _project(tmp_path)
    chronolint("check", ".", "--no-cache", cwd=tmp_path)
    assert not (tmp_path / ".chronolint_cache").exists()
    chronolint("check", ".", cwd=tmp_path)
    assert (tmp_path / ".chronolint_cache").exists()
    out = chronolint("clean", cwd=tmp_path)
    assert out.returncode == 0 and not (tmp_path / ".chronolint_cache").exists()


def test_parallel_and_serial_runs_print_the_same(tmp_path, chronolint):
    for i in range(40):
        pkg = tmp_path / f"pkg{i % 5}"
        pkg.mkdir(exist_ok=True)
        (pkg / f"m{i}.py").write_text(BUG * (1 + i % 3))
    serial = chronolint("check", ".", "--no-cache", "--jobs", "1", "--output-format", "json", cwd=tmp_path)
    parallel = chronolint("check", ".", "--no-cache", "--jobs", "2", "--output-format", "json", cwd=tmp_path)
    assert serial.returncode == parallel.returncode == 1
    assert serial.stdout == parallel.stdout
    assert len(json.loads(serial.stdout)) == sum(1 + i % 3 for i in range(40))


def test_parallel_index_reading_builds_the_same_index(fixture_copy, chronolint):
    """On a cold run the project's files are read and extracted for the index across
    processes; the findings that depend on the index must not change."""
    project = fixture_copy("demo")
    args = ("check", ".", "--output-format", "json", "--select", "CHR1,CHR2,CHR3")
    serial = chronolint(*args, "--no-cache", "--jobs", "1", cwd=project)
    parallel = chronolint(*args, "--no-cache", "--jobs", "2", cwd=project)
    cached = chronolint(*args, "--jobs", "2", cwd=project)  # first run with a cache: same path
    assert serial.stdout == parallel.stdout == cached.stdout
    codes = {d["code"] for d in json.loads(serial.stdout)}
    assert {"CHR101", "CHR201", "CHR301"} <= codes  # index-dependent rules did fire


def test_an_unwritable_cache_costs_the_cache_not_the_run(tmp_path, chronolint):
    """A read-only checkout (here: `.chronolint_cache` is a file, which stops root too)
    lints as without a cache: same findings, no traceback, the file left alone."""
    _project(tmp_path, n=2)
    (tmp_path / ".chronolint_cache").write_text("not a folder")
    first = chronolint("check", ".", cwd=tmp_path)
    second = chronolint("check", ".", cwd=tmp_path)
    assert first.returncode == second.returncode == 1
    assert first.stdout == second.stdout and first.stdout.count("CHR002") == 2
    assert "Traceback" not in first.stderr + second.stderr
    assert (tmp_path / ".chronolint_cache").read_text() == "not a folder"


def test_the_cache_is_per_version_and_code_and_old_ones_are_removed(tmp_path, chronolint):
    """Results live under `<version>-<digest of chronolint's modules>`: an edited checkout
    does not reuse what its older code computed, and the older caches are removed."""
    import chronolint.engine.cache as cache

    _project(tmp_path, n=1)
    old = tmp_path / ".chronolint_cache" / "0.0.1-0123456789ab"
    old.mkdir(parents=True)
    (old / "files.json").write_text("{}")
    chronolint("check", ".", cwd=tmp_path)
    (stamp,) = [p.name for p in (tmp_path / ".chronolint_cache").iterdir() if p.is_dir()]
    assert stamp == cache.code_stamp() and stamp.startswith(cache.__version__ + "-")

    module = Path(cache.__file__)
    before = module.stat()
    try:
        os.utime(module, ns=(before.st_atime_ns, before.st_mtime_ns + 1))
        assert cache.code_stamp.__wrapped__() != stamp
    finally:
        os.utime(module, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert cache.code_stamp.__wrapped__() == stamp


def test_a_project_reached_through_a_symlink_is_indexed_as_itself(tmp_path, chronolint):
    """The project root is resolved before its files are walked and read (in parallel
    here: the demo has more files than the parallel threshold), as on macOS where the
    temporary folder is behind a symlink."""
    import shutil

    from conftest import FIXTURES

    real = tmp_path / "real"
    shutil.copytree(FIXTURES / "demo", real)
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    args = ("check", "--no-cache", "--output-format", "json", "--select", "CHR1,CHR2")
    direct = json.loads(chronolint(*args, "real", cwd=tmp_path).stdout)
    through_link = chronolint(*args, "link", cwd=tmp_path)
    assert "Traceback" not in through_link.stderr
    found = json.loads(through_link.stdout)
    assert [(d["code"], d["location"]) for d in found] == [(d["code"], d["location"]) for d in direct]
    assert "CHR201" in {d["code"] for d in direct}

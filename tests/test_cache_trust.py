"""A cache that arrives with the repository is never trusted (issue 19).

A result's key is computed from public facts (path, content hash, settings, version), so
anyone can write a `.chronolint_cache` whose stored results say "no findings" and commit
it (`git add -f`, past the folder's own `.gitignore`). Cloned at the path CI checks out
to, such a cache must not hide a single finding: the manifest is authenticated with a key
kept outside the repository, and a manifest that does not verify is ignored."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

from conftest import FIXTURES

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"]


def _git(*args, cwd):
    subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True, text=True)


def _forge_empty_results(repo):
    """What an attacker does: fill the cache, keep every stored key, empty every result,
    and keep the signature line (if any) as it was: they cannot compute a valid one."""
    (manifest,) = (repo / ".chronolint_cache").glob("*/files.json")
    raw = manifest.read_bytes()
    head, sep, body = raw.partition(b"\n") if not raw.startswith(b"{") else (b"", b"", raw)
    data = json.loads(body)
    forged = 0
    for entry in data["files"].values():
        if isinstance(entry.get("result"), dict) and entry["result"]["diagnostics"]:
            entry["result"]["diagnostics"] = []  # the key stays: it is public and still matches
            forged += 1
    manifest.write_bytes(head + sep + json.dumps(data).encode())
    return forged


def _count(out):
    return sum(1 for line in out.stdout.splitlines() if ": CHR" in line)


def test_a_cache_committed_to_the_repository_hides_no_finding(tmp_path, chronolint):
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "demo", repo)
    _git("init", "-q", cwd=repo)
    _git("add", "-A", cwd=repo)
    _git("commit", "-qm", "app", cwd=repo)
    before = chronolint("check", "--output-format", "concise", ".", cwd=repo)
    expected = _count(before)
    assert expected > 13 and before.returncode == 1
    assert _forge_empty_results(repo) > 5
    _git("add", "-f", ".chronolint_cache", cwd=repo)
    _git("commit", "-qm", "a cache that hides everything", cwd=repo)
    origin = tmp_path / "origin"
    repo.rename(origin)
    _git("clone", "-q", str(origin), str(repo), cwd=tmp_path)  # at the same path, as CI does
    assert list((repo / ".chronolint_cache").glob("*/files.json"))  # it arrived with the clone
    after = chronolint("check", "--output-format", "concise", ".", cwd=repo)
    assert (_count(after), after.returncode) == (expected, 1), f"{_count(after)} of {expected} findings"
    assert after.stdout == before.stdout


def test_a_planted_index_fingerprint_does_not_reuse_old_results(tmp_path, chronolint):
    """The manifest also maps a project's model contents to its index fingerprint; a
    planted mapping would let results computed against other models be reused."""
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "demo", repo)
    before = chronolint("check", "--output-format", "concise", ".", cwd=repo)
    (manifest,) = (repo / ".chronolint_cache").glob("*/files.json")
    raw = manifest.read_bytes()
    head, sep, body = raw.partition(b"\n") if not raw.startswith(b"{") else (b"", b"", raw)
    data = json.loads(body)
    assert data["indexes"]
    for root in data["indexes"]:
        data["indexes"][root][1] = "0" * 64
    manifest.write_bytes(head + sep + json.dumps(data).encode())
    after = chronolint("check", "--output-format", "concise", ".", cwd=repo)
    assert after.stdout == before.stdout
    (manifest,) = (repo / ".chronolint_cache").glob("*/files.json")
    assert b"0" * 64 not in manifest.read_bytes()  # recomputed and written again, signed


BUG = "from datetime import datetime\nx = datetime.utcnow()\n"


def _reseal_with_message(root, message, monkeypatch, key):
    """Edit the stored result as the holder of `key` could (poisoned, so a reused result shows)."""
    from chronolint.engine.cache import cache_secret, read_sealed, write_sealed

    monkeypatch.setenv("CHRONOLINT_CACHE_KEY", key)
    cache_secret.cache_clear()
    try:
        (manifest,) = (root / ".chronolint_cache").glob("*/files.json")
        data = read_sealed(manifest)
        (entry,) = [e for p, e in data["files"].items() if p.endswith("m.py")]
        entry["result"]["diagnostics"][0]["message"] = message
        write_sealed(manifest, data)
    finally:
        monkeypatch.delenv("CHRONOLINT_CACHE_KEY")
        cache_secret.cache_clear()


def test_a_restored_cache_is_trusted_only_under_its_own_key(tmp_path, chronolint, monkeypatch):
    """CI: the cache and its key restored together (same path, new checkout: every stat
    differs, every content hash matches) is a warm run; under any other key, a cold one."""
    project = tmp_path / "p"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (project / "m.py").write_text(BUG)
    ci = {"CHRONOLINT_CACHE_KEY": "k" * 40}
    assert chronolint("check", ".", cwd=project, env=ci).returncode == 1
    _reseal_with_message(project, "from the cache", monkeypatch, ci["CHRONOLINT_CACHE_KEY"])
    # A fresh checkout at the same path: new inode, ctime and mtime, same content.
    saved = tmp_path / "saved-cache"
    shutil.copytree(project / ".chronolint_cache", saved)
    shutil.rmtree(project)
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (project / "m.py").write_text(BUG)
    shutil.copytree(saved, project / ".chronolint_cache")
    assert "from the cache" in chronolint("check", ".", cwd=project, env=ci).stdout
    shutil.rmtree(project / ".chronolint_cache")
    shutil.copytree(saved, project / ".chronolint_cache")
    other = chronolint("check", ".", cwd=project, env={"CHRONOLINT_CACHE_KEY": "x" * 40})
    assert "from the cache" not in other.stdout and "CHR002" in other.stdout


def test_the_key_is_made_once_outside_the_repository(tmp_path, chronolint):
    project = tmp_path / "p"
    project.mkdir()
    (project / "m.py").write_text(BUG)
    an_hour_ago = time.time() - 3600
    os.utime(project / "m.py", (an_hour_ago, an_hour_ago))  # an old file: its stat is trusted
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg"), "CHRONOLINT_CACHE_KEY": ""}
    assert chronolint("check", ".", cwd=project, env=env).returncode == 1
    key = tmp_path / "xdg" / "chronolint" / "key"
    assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_text().strip()) == 64
    first = key.read_text()
    (manifest,) = (project / ".chronolint_cache").glob("*/files.json")
    sealed = manifest.read_bytes()
    assert chronolint("check", ".", cwd=project, env=env).returncode == 1
    assert key.read_text() == first and manifest.read_bytes() == sealed  # reused, nothing to rewrite
    assert not list(project.rglob("key"))


def test_without_a_key_the_run_lints_and_writes_no_cache(tmp_path, chronolint):
    project = tmp_path / "p"
    project.mkdir()
    (project / "m.py").write_text(BUG)
    (tmp_path / "not-a-folder").write_text("")
    env = {"XDG_CACHE_HOME": str(tmp_path / "not-a-folder"), "CHRONOLINT_CACHE_KEY": ""}
    out = chronolint("check", ".", cwd=project, env=env)
    assert out.returncode == 1 and "CHR002" in out.stdout and "Traceback" not in out.stderr
    assert not list(project.glob(".chronolint_cache/*/files.json"))


def test_a_restored_checkout_reuses_extractions_by_content(tmp_path):
    """Every stat of a fresh checkout differs, so each model file is read again; its stored
    extraction is reused when the content hash matches, never when it does not."""
    from chronolint.engine.cache import text_digest
    from chronolint.index.extract import EXTRACTOR_VERSION
    from chronolint.index.store import read_module

    path = tmp_path / "models.py"
    path.write_text(BUG)
    stored = {"sha": text_digest(BUG), "index": [EXTRACTOR_VERSION, str(tmp_path), {"kept": True}]}
    assert read_module(str(path), str(tmp_path), stored)[3] == {"kept": True}
    stale = dict(stored, sha="0" * 64)
    assert read_module(str(path), str(tmp_path), stale)[3] != {"kept": True}
    other_root = dict(stored, index=[EXTRACTOR_VERSION, "/elsewhere", {"kept": True}])
    assert read_module(str(path), str(tmp_path), other_root)[3] != {"kept": True}


def test_a_wheel_install_is_stamped_by_its_record_not_its_mtimes(tmp_path):
    """pip gives installed files the install time as mtime: stamped by stat, every fresh CI
    install would get a new cache folder and never reuse a restored cache. Installed from
    a wheel, the stamp is the RECORD's sha256 of each module, the same on every install."""
    from chronolint.engine.cache import _installed_record

    site = tmp_path / "site-packages"
    (site / "chronolint" / "engine").mkdir(parents=True)
    (site / "chronolint-0.1.0.dist-info").mkdir()
    record = site / "chronolint-0.1.0.dist-info" / "RECORD"
    record.write_text("chronolint/engine/cache.py,sha256=AAA,10\nchronolint/__init__.py,sha256=BBB,5\n"
                      "chronolint/__pycache__/x.cpython-311.pyc,,\n../../../bin/chronolint,sha256=CCC,200\n"
                      "chronolint-0.1.0.dist-info/RECORD,,\n")
    assert _installed_record(str(site / "chronolint")) == [
        "chronolint/__init__.py,sha256=BBB,5", "chronolint/engine/cache.py,sha256=AAA,10"]
    # An editable install or a source checkout: no RECORD beside the package.
    assert _installed_record(str(tmp_path / "src" / "chronolint")) == []

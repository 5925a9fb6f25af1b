"""Proof that every fix chronolint applies with plain `--fix` (safe) is what its rule's
"Fix safety" section says: the before and after code are run under a frozen clock, on a
UTC host and on hosts west and east of UTC, and their results compared.

The clock is frozen faithfully: the subprocess runs the standard library's own
pure-Python `datetime` (the `_datetime` C accelerator is blocked), whose `now()`,
`utcnow()` and `today()` read `time.time()`; only `time.time` is replaced by a constant.
`test_pure_python_datetime_matches_c` checks that this `datetime` agrees with the C one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from chronolint.config import ConfigResolver
from chronolint.linter import fix_text as fix_source
from chronolint.registry import all_rules

INSTANT = 1_700_000_000.25  # 2023-11-14T22:13:20.25Z; Sao Paulo has had no DST since 2019
ZONES = {"UTC": 0, "America/Sao_Paulo": -3 * 3600, "Asia/Kolkata": 5 * 3600 + 1800}

# Runs in a subprocess: freeze the clock, run each snippet, describe every datetime it made.
_RUNNER = r"""
import json, sys, time, types, warnings
sys.modules["_datetime"] = None          # the pure-Python datetime: now() reads time.time()
import datetime
assert hasattr(datetime.datetime.now, "__func__"), "the C datetime is still in use"
INSTANT = float(sys.argv[1])
time.time = lambda: INSTANT
warnings.simplefilter("ignore", DeprecationWarning)
django = types.ModuleType("django"); django.utils = types.ModuleType("django.utils")
django.utils.timezone = types.ModuleType("django.utils.timezone")
sys.modules.update({"django": django, "django.utils": django.utils, "django.utils.timezone": django.utils.timezone})

def describe(value):
    aware = value.utcoffset() is not None
    return {"iso": value.isoformat(), "aware": aware, "tzname": value.tzname(),
            "timestamp": value.timestamp() if aware else None}

def run(code):
    namespace = {"__name__": "snippet"}
    exec(compile(code, "snippet.py", "exec"), namespace)
    out = {}
    for name, value in namespace.items():
        if callable(value) and getattr(value, "__module__", None) == "snippet":
            value = value()
        if isinstance(value, datetime.datetime):
            out[name] = describe(value)
    return out

pairs = json.load(sys.stdin)
json.dump([[run(before), run(after)] for before, after in pairs], sys.stdout)
"""

# Safe-fix shapes beyond the rules' own examples.
EXTRA_SNIPPETS = [
    ("CHR002", "from datetime import datetime, timezone\nx = datetime.utcnow().replace(tzinfo=timezone.utc, microsecond=0)\n"),
    ("CHR002", "from datetime import datetime, timezone\nx = datetime.utcnow().replace(second=0).astimezone(timezone.utc)\n"),
    ("CHR002", "from datetime import datetime, UTC\nx = datetime.utcnow().replace(tzinfo=UTC)\n"),
    ("CHR005", "import datetime\nx = datetime.datetime.utcfromtimestamp(1_600_000_000.5).astimezone()\n"),
    ("CHR005", "from datetime import datetime, timezone\nx = datetime.utcfromtimestamp(86_400 * 365).replace(tzinfo=timezone.utc)\n"),
]


def _safe_fix(code: str, rule_code: str, settings: dict) -> str | None:
    resolved = ConfigResolver({"select": [rule_code], **settings, "unsafe-fixes": False}).for_path("snippet.py")
    fixed = fix_source("snippet.py", code, resolved).text
    return fixed if fixed != code else None


def _safe_pairs() -> list[tuple[str, str, str]]:
    """(label, before, after) for every safe fix of the naive-datetime rules."""
    pairs = []
    for rule in all_rules():
        if not rule.code.startswith("CHR0"):
            continue
        for i, example in enumerate(rule.INVALID):
            if example.fixed is not None:
                pairs.append((f"{rule.code}-{i}", example.code, example.fixed))
    for i, (code, snippet) in enumerate(EXTRA_SNIPPETS):
        fixed = _safe_fix(snippet, code, {})
        assert fixed is not None, f"expected a safe fix for:\n{snippet}"
        pairs.append((f"{code}-extra{i}", snippet, fixed))
    return pairs


PAIRS = _safe_pairs()


def _run_in_zone(zone: str, pairs) -> list:
    env = {**os.environ, "TZ": zone, "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, "-c", _RUNNER, str(INSTANT)], input=json.dumps([p[1:] for p in pairs]),
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def results():
    return {zone: _run_in_zone(zone, PAIRS) for zone in ZONES}


def test_the_safe_fixes_are_exercised():
    """The proof covers both documented classes: identical rewrites and `.astimezone()`."""
    labels = {label.split("-")[0] for label, *_ in PAIRS}
    assert {"CHR002", "CHR005"} <= labels
    assert any(".astimezone(" in before for _, before, _ in PAIRS)
    assert any(".replace(tzinfo=" in before for _, before, _ in PAIRS)


@pytest.mark.parametrize("index", range(len(PAIRS)), ids=[p[0] for p in PAIRS])
def test_safe_fix_is_identical_or_fixes_the_documented_bug(results, index):
    label, before, after = PAIRS[index]
    utc_before, utc_after = results["UTC"][index]
    assert utc_before and utc_before == utc_after, f"{label}: differs on a UTC host"
    for zone, offset in ZONES.items():
        original, fixed = results[zone][index]
        assert original.keys() == fixed.keys() and original, label
        if original == fixed:
            continue
        # Only the "bug in every context" class may differ: `.astimezone()` on a naive UTC
        # value, which reads the UTC wall clock as local time. The fixed code means the
        # instant the original means on a UTC host; the original is off by the offset.
        assert ".astimezone(" in before, f"{label} on TZ={zone}: {original} != {fixed}"
        for name in original:
            assert fixed[name]["timestamp"] == pytest.approx(utc_before[name]["timestamp"]), (label, zone)
            assert original[name]["timestamp"] - fixed[name]["timestamp"] == pytest.approx(-offset), (label, zone)


def test_differences_are_real_off_utc(results):
    """The `.astimezone()` examples do differ off UTC: the test can see the bug it claims."""
    differing = [i for i, (_, before, _) in enumerate(PAIRS) if ".astimezone()" in before]
    assert differing
    for i in differing:
        original, fixed = results["America/Sao_Paulo"][i]
        assert original != fixed


def test_pure_python_datetime_matches_c():
    """The frozen-clock runner's datetime computes what the C datetime computes."""
    check = r"""
import sys, json
import _datetime as c
sys.modules["_datetime"] = None
import datetime as py
out = []
for ts in (0.0, 1_600_000_000.5, 1_700_000_000.25, 1_710_000_000.0):
    for tz in (None, "utc"):
        a = c.datetime.fromtimestamp(ts, c.timezone.utc if tz else None)
        b = py.datetime.fromtimestamp(ts, py.timezone.utc if tz else None)
        out.append([a.isoformat(), b.isoformat(), a.astimezone().isoformat(), b.astimezone().isoformat()])
    out.append([c.datetime.utcfromtimestamp(ts).isoformat(), py.datetime.utcfromtimestamp(ts).isoformat()] * 2)
assert py.datetime.__module__ == "datetime" and not isinstance(py.datetime.now(), c.datetime)
json.dump(out, sys.stdout)
"""
    for zone in ZONES:
        env = {**os.environ, "TZ": zone}
        proc = subprocess.run([sys.executable, "-W", "ignore", "-c", check], capture_output=True, text=True, env=env, timeout=60)
        assert proc.returncode == 0, proc.stderr
        for c_iso, py_iso, c_local, py_local in json.loads(proc.stdout):
            assert (c_iso, c_local) == (py_iso, py_local), zone


def test_unsafe_fixes_really_change_behaviour_off_utc():
    """The unsafe class is unsafe for a reason: plain `utcnow()` → `now(UTC)` turns a naive
    value into an aware one (so `==` with the naive original is False)."""
    before = "from datetime import datetime\nx = datetime.utcnow()\n"
    assert _safe_fix(before, "CHR002", {}) is None
    resolved = ConfigResolver({"select": ["CHR002"], "unsafe-fixes": True}).for_path("snippet.py")
    after = fix_source("snippet.py", before, resolved).text
    (original, fixed), = _run_in_zone("America/Sao_Paulo", [("CHR002", before, after)])
    assert original["x"]["aware"] is False and fixed["x"]["aware"] is True


"""`chronolint` command line, shaped like `ruff check`: same flags, exit codes and formats."""

from __future__ import annotations

import argparse
import os
import sys

from chronolint import __version__
from chronolint.cli import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, fixing, reporters
from chronolint.config import TARGET_VERSIONS, TIMESTAMP_POLICIES, ConfigError, ConfigResolver
from chronolint.linter import Fixes, RunResult, lint_file, lint_paths
from chronolint.engine.source import SourceFile


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with a one-line error, as ruff does for usage errors."""

    def error(self, message):
        self.exit(EXIT_ERROR, f"error: {message}\n")


def _comma_list(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="chronolint", description="Find timestamp and schema-evolution bugs.")
    parser.add_argument("--version", action="version", version=f"chronolint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = sub.add_parser("check", help="lint files and folders (the default)")
    check.add_argument("paths", nargs="*", default=[], metavar="PATH")
    check.add_argument("--select", type=_comma_list, help="rule codes or prefixes to enable (replaces the default)")
    check.add_argument("--extend-select", type=_comma_list, action="extend", default=[])
    check.add_argument("--ignore", type=_comma_list, action="extend", default=[])
    check.add_argument("--per-file-ignores", type=_comma_list, action="extend", default=[],
                       metavar="GLOB:CODES", help="e.g. 'tests/*:CHR001'")
    check.add_argument("--exclude", type=_comma_list)
    check.add_argument("--extend-exclude", type=_comma_list, action="extend", default=[])
    check.add_argument("--target-version", choices=TARGET_VERSIONS)
    check.add_argument("--timestamp-policy", choices=TIMESTAMP_POLICIES,
                       help="\"aware\" (default) or \"naive-utc\": the team stores naive UTC on purpose")
    check.add_argument("--output-format", default=os.environ.get("CHRONOLINT_OUTPUT_FORMAT") or None)
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even if findings remain")
    check.add_argument("--statistics", action="store_true", help="count findings per rule")
    check.add_argument("--stdin-filename", metavar="PATH", help="lint source from stdin, reported as PATH")
    check.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    check.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                       help="lint in N processes (default: one per CPU)")
    check.add_argument("--config", metavar="FILE", help="use this configuration file only")
    check.add_argument("--quiet", "-q", action="store_true", help="print findings only, no summary")
    check.add_argument("--show-files", action="store_true",
                       help="print the files that would be linted (absolute, sorted), lint nothing")
    check.add_argument("--show-settings", action="store_true",
                       help="print the resolved settings of the first file and the library versions "
                            "the project index uses, with where each came from; lint nothing")
    fixing.add_arguments(check)
    check.add_argument("--output-file", metavar="FILE", help="write the report to FILE instead of stdout")
    check.add_argument("--add-noqa", action="store_true",
                       help="add `# noqa: CODE` to every line with a finding (adopting on an old codebase)")

    sub.add_parser("server", help="run the language server (LSP over stdio)")
    clean = sub.add_parser("clean", help="remove .chronolint_cache folders under the given paths")
    clean.add_argument("paths", nargs="*", default=["."], metavar="PATH")

    revision = sub.add_parser("revision", help="write the Alembic revision that closes the drift CHR408/CHR409 find")
    revision.add_argument("path", nargs="?", default=".", metavar="PATH", help="a file or folder of the project")
    revision.add_argument("-m", "--message", default="close schema drift", help="the revision's message")
    revision.add_argument("--zone", default="UTC", help="the zone naive values are read in when a column "
                          "becomes `timestamptz` (default: UTC)")
    revision.add_argument("--history", metavar="FOLDER", help="the folder of revisions to write into, when the project "
                          "has several histories (relative to the project root)")
    revision.add_argument("--diff", action="store_true", help="print the revision, write nothing")

    rule = sub.add_parser("rule", help="explain a rule, or list them all")
    rule.add_argument("code", nargs="?")
    rule.add_argument("--all", action="store_true")
    rule.add_argument("--output-format", choices=("text", "json"), default="text")
    return parser


def _overrides(args) -> dict:
    overrides: dict = fixing.overrides(args)
    if args.select is not None:
        overrides["select"] = args.select
    if args.extend_select:
        overrides["extend-select"] = args.extend_select
    if args.ignore:
        overrides["extend-ignore"] = args.ignore
    if args.exclude is not None:
        overrides["exclude"] = args.exclude
    if args.extend_exclude:
        overrides["extend-exclude"] = args.extend_exclude
    if args.target_version:
        overrides["target-version"] = args.target_version
    if args.timestamp_policy:
        overrides["timestamp-policy"] = args.timestamp_policy
    if args.per_file_ignores:
        table: dict[str, list[str]] = {}
        for item in args.per_file_ignores:
            pattern, _, codes = item.rpartition(":")
            if not pattern:
                raise ConfigError(f"--per-file-ignores expects GLOB:CODES, got {item!r}")
            table.setdefault(pattern, []).extend(codes.split())
        overrides["extend-per-file-ignores"] = table
    return overrides


def _source_lines(stdin_text: str | None, stdin_name: str | None):
    cache: dict[str, SourceFile | None] = {}

    def line(filename: str, row: int) -> str | None:
        if filename not in cache:
            if filename == stdin_name and stdin_text is not None:
                cache[filename] = SourceFile(filename, stdin_text)
            else:
                try:
                    from chronolint.engine.source import read_source

                    cache[filename] = SourceFile(filename, read_source(filename))
                except Exception:
                    cache[filename] = None
        source = cache[filename]
        return source.line(row) if source is not None else None

    return line


def _show_files(paths: list[str], resolver: ConfigResolver) -> int:
    """`--show-files`, as in ruff: what discovery finds, one absolute path a line."""
    from chronolint.discovery import discover

    found = discover(paths, resolver)
    for path in sorted(os.path.abspath(p) for p in found.files):
        print(path)
    for path, message in found.errors:
        print(f"error: {path}: {message}", file=sys.stderr)
    return EXIT_ERROR if found.errors else EXIT_CLEAN


def _show_settings(paths: list[str], resolver: ConfigResolver, *, use_cache: bool) -> int:
    """`--show-settings`, as in ruff: the settings that apply to the first file found (sorted),
    the rules they enable, and what the project index knows of the project's libraries."""
    from chronolint.discovery import discover
    from chronolint.linter import project_index_of

    found = discover(paths, resolver)
    if not found.files:
        print("error: no Python file found under the given paths", file=sys.stderr)
        return EXIT_ERROR
    path = sorted(os.path.abspath(p) for p in found.files)[0]
    settings = resolver.for_file(path)
    index = project_index_of(path, resolver, paths, use_cache=use_cache)
    lines = [f"Resolved settings for: {_toml(path)}",
             f"Settings path: {_toml(str(settings.config_path)) if settings.config_path else '(defaults: no configuration file)'}",
             "", "# Settings"]
    lines += [f"{key} = {_toml(value)}" for key, value in sorted(settings.options.items())]
    lines += [f"enabled-rules = {_toml([rule.code for rule in settings.enabled_rules])}", "", "# Project index",
              f"root = {_toml(index.root)}"]
    if index.django_use_tz is not None or index.django_use_tz_source:
        value = "unknown" if index.django_use_tz is None else _toml(index.django_use_tz)
        lines.append(f"django-use-tz = {value}  # {index.django_use_tz_source}")
    lines += ["", "# Library versions (what decided each, first that decides: configuration, lock file,"
              " requirements, pyproject.toml, virtualenv)"]
    for name in index.library_versions.tracked:
        version = index.library_versions.get(name)
        if version is None:
            lines.append(f"{name} = unknown  # no lock file, pin, requirement or virtualenv names it")
        else:
            lines.append(f"{name} = {_toml(version.describe())}  # {version.source}")
    print("\n".join(lines))
    return EXIT_CLEAN


def _toml(value) -> str:
    """A value as TOML spells it (strings quoted, booleans lower case, lists and tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml(k) if not str(k).replace('-', '').replace('_', '').isalnum() else k} = {_toml(v)}"
                                for k, v in value.items()) + " }" if value else "{}"
    text = str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_check(args) -> int:
    try:
        resolver = ConfigResolver(_overrides(args), config_file=args.config,
                                  overrides_from=lambda key: f"--{key.replace('extend-ignore', 'ignore')}")
        output_format = args.output_format or resolver.for_path(".").get("output-format") or "concise"
        if output_format not in reporters.FORMATS:
            raise ConfigError(
                f"unknown output format {output_format!r} (choose from {', '.join(reporters.FORMATS)})"
            )
        if args.show_files:
            return _show_files(args.paths or ["."], resolver)
        if args.show_settings:
            return _show_settings(args.paths or ["."], resolver, use_cache=not args.no_cache)
        stdin_text = None
        if args.add_noqa and (args.stdin_filename or fixing.mode(args) is not None or args.diff):
            raise ConfigError("--add-noqa cannot be combined with --stdin-filename, --fix or --diff")
        if args.stdin_filename:
            stdin_text = sys.stdin.read()
            result = RunResult(files=[lint_file(args.stdin_filename, resolver, text=stdin_text,
                                                use_cache=not args.no_cache, fix_mode=fixing.mode(args))])
        else:
            # Text output needs only the fixes it marks [*]; libcst is costly, so the others
            # carry just their applicability (see Diagnostic.fix_hint).
            needs_edits = output_format in reporters.FIX_DETAIL_FORMATS
            result = lint_paths(args.paths or ["."], resolver, use_cache=not args.no_cache, fix_mode=fixing.mode(args),
                                jobs=args.jobs, fixes=Fixes.ALL if needs_edits else Fixes.SAFE)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR

    for path, message in result.path_errors:
        print(f"error: {path}: {message}", file=sys.stderr)
    for path, message in result.file_errors:
        print(f"error: Failed to lint {path}: {message}", file=sys.stderr)
    fixing.print_fix_errors(result)
    errors = bool(result.path_errors or result.file_errors)
    if args.add_noqa:
        from chronolint.cli.add_noqa import add_noqa_to_files

        return add_noqa_to_files(result.diagnostics) or (EXIT_ERROR if errors else EXIT_CLEAN)
    if args.diff:
        status = fixing.print_diff(result, args.stdin_filename, stdin_text)
        return EXIT_ERROR if errors else status
    out = sys.stdout
    if stdin_text is not None and fixing.mode(args) is not None:
        fixing.print_stdin_source(result, stdin_text)
        out = sys.stderr
    elif args.output_file:
        try:
            out = open(args.output_file, "w", encoding="utf-8")
        except OSError as exc:
            print(f"error: --output-file {args.output_file}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_ERROR
    fixed = fixing.total_fixed(result.files)

    diagnostics = sorted(result.diagnostics, key=lambda d: d.sort_key())
    text_format = output_format in reporters.TEXT_FORMATS
    if args.fix_only:
        diagnostics = []
    elif args.statistics:
        out.write(reporters.statistics(diagnostics))
    else:
        out.write(reporters.FORMATS[output_format](diagnostics, _source_lines(stdin_text, args.stdin_filename)))
        if text_format and not args.quiet and not (result.path_errors or result.file_errors and not diagnostics):
            fixable, hidden = fixing.fixable_counts(diagnostics, resolver)
            out.write(reporters.summary(len(diagnostics), fixable, fixed, hidden))
    if args.show_fixes and text_format:
        out.write(fixing.show_fixes(result.files))
    out.flush()
    if out not in (sys.stdout, sys.stderr):
        out.close()

    if errors:
        return EXIT_CLEAN if args.exit_zero else EXIT_ERROR
    if (diagnostics or (fixed and args.exit_non_zero_on_fix)) and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def run_clean(args) -> int:
    """Remove every cache folder under the paths, as `ruff clean` does."""
    import shutil

    from chronolint.engine.cache import CACHE_DIR

    for top in args.paths:
        for dirpath, dirnames, _ in os.walk(top):
            if CACHE_DIR in dirnames:
                target = os.path.join(dirpath, CACHE_DIR)
                print(f"Removing cache at: {target}", file=sys.stderr)
                shutil.rmtree(target, ignore_errors=True)
            dirnames[:] = [d for d in dirnames if d not in (CACHE_DIR, ".git")]
    return EXIT_CLEAN


def run_revision(args) -> int:
    """`chronolint revision`: exit 0 when written (or nothing to close), 2 when refused."""
    from chronolint import autogen

    try:
        if args.diff:
            autogen._check_zone(args.zone)
            plan = autogen.plan_revision(autogen.find_project_root(args.path), args.zone, args.history)
            written = autogen.Written(None, plan, autogen.render(plan, "<new>", args.message, autogen.datetime.now())
                                      if plan is not None and plan.upgrade else "")
        else:
            written = autogen.write_revision(args.path, args.message, args.zone, history=args.history)
    except autogen.RevisionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    plan = written.plan
    for skipped in plan.skipped if plan is not None else ():
        print(f"skipped {skipped}", file=sys.stderr)
    if args.diff:
        print(written.text, end="")
    elif written.path is None:
        print("No drift to close: nothing written.", file=sys.stderr)
    else:
        print(f"Wrote {os.path.relpath(written.path)} (revises {plan.head}): closes {len(plan.closes)} "
              f"finding{'s' if len(plan.closes) != 1 else ''}", file=sys.stderr)
    return EXIT_CLEAN


def run_rule(args) -> int:
    from chronolint.registry import all_rules, rule_by_code

    if args.all or not args.code:
        if args.output_format == "json":
            import json

            print(json.dumps([_rule_json(r) for r in all_rules()], indent=2))
        else:
            for rule in all_rules():
                flag = "" if rule.default_enabled else " (opt-in)"
                print(f"{rule.code}  {rule.name}{flag}  {rule.summary()}")
        return EXIT_CLEAN
    rule = rule_by_code(args.code)
    if rule is None:
        print(f"error: unknown rule code `{args.code}`", file=sys.stderr)
        return EXIT_ERROR
    if args.output_format == "json":
        import json

        print(json.dumps(_rule_json(rule), indent=2))
    else:
        flag = "" if rule.default_enabled else " (opt-in: enable with `extend-select`)"
        print(f"# {rule.name} ({rule.code}){flag}\n")
        print(rule.docs())
    return EXIT_CLEAN


def _rule_json(rule) -> dict:
    return {
        "code": rule.code,
        "name": rule.name,
        "summary": rule.summary(),
        "message": rule.message,
        "default": rule.default_enabled,
        "fix": rule.fix_applicability.value if rule.fix_applicability else None,
        "explanation": rule.docs(),
    }


def _tune_collector() -> None:
    """A check is one batch whose trees are freed by reference counting as soon as each
    file is done (`tests/test_tree_lifetime.py`): it makes little cyclic garbage. At the
    default threshold the collector runs every 700 allocations, and every so often scans
    every live object (the project indexes, the results), thousands of times over a large
    project for almost nothing it can free. Measured on the corpus, cold: 5% less CPU."""
    import gc

    gc.set_threshold(100_000, 50, 100)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or (argv[0] not in {"check", "rule", "server", "clean", "revision", "-h", "--help", "--version"}):
        argv = ["check", *argv]
    args = parser.parse_args(argv)
    try:
        if args.command == "server":
            from chronolint.lsp import run

            return run()
        if args.command == "rule":
            return run_rule(args)
        if args.command == "clean":
            return run_clean(args)
        if args.command == "revision":
            return run_revision(args)
        _tune_collector()
        return run_check(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_CLEAN

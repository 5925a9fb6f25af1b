"""The rule registry: one line per rule, `module:Class`. Adding a rule = a module in its
family's folder + one line here."""

from __future__ import annotations

import importlib
from functools import lru_cache

REGISTRY = (
    # naive datetimes (rules/naive)
    "chronolint.rules.naive.chr001_call_datetime_now:CallDatetimeNow",
    "chronolint.rules.naive.chr002_call_datetime_utcnow:CallDatetimeUtcnow",
    "chronolint.rules.naive.chr003_call_datetime_today:CallDatetimeToday",
    "chronolint.rules.naive.chr004_call_datetime_fromtimestamp:CallDatetimeFromtimestamp",
    "chronolint.rules.naive.chr005_call_datetime_utcfromtimestamp:CallDatetimeUtcfromtimestamp",
    "chronolint.rules.naive.chr006_call_datetime_without_tzinfo:CallDatetimeWithoutTzinfo",
    "chronolint.rules.naive.chr007_call_datetime_strptime_without_zone:CallDatetimeStrptimeWithoutZone",
    "chronolint.rules.naive.chr008_call_date_today:CallDateToday",
    "chronolint.rules.naive.chr009_datetime_min_max:DatetimeMinMax",
    "chronolint.rules.naive.chr010_naive_function_as_value:NaiveFunctionAsValue",
    "chronolint.rules.naive.chr011_call_datetime_combine_without_tzinfo:CallDatetimeCombineWithoutTzinfo",
    # noqa hygiene (rules/noqa)
    "chronolint.rules.noqa.chr100_unused_noqa:UnusedNoqa",
    # ORM timestamp columns (rules/columns)
    "chronolint.rules.columns.chr101_naive_timestamp_column:NaiveTimestampColumn",
    "chronolint.rules.columns.chr102_default_evaluated_at_import:DefaultEvaluatedAtImport",
    "chronolint.rules.columns.chr103_python_side_timestamp_default:PythonSideTimestampDefault",
    "chronolint.rules.columns.chr104_model_without_timestamps:ModelWithoutTimestamps",
    # updated_at lifecycle (rules/lifecycle)
    "chronolint.rules.lifecycle.chr201_updated_at_not_set:UpdatedAtNotSet",
    "chronolint.rules.lifecycle.chr202_upsert_without_updated_at:UpsertWithoutUpdatedAt",
    "chronolint.rules.lifecycle.chr203_raw_update_without_updated_at:RawUpdateWithoutUpdatedAt",
    "chronolint.rules.lifecycle.chr204_created_at_reassigned:CreatedAtReassigned",
    # flow: None-safety and naive/aware mixing (rules/flow)
    "chronolint.rules.flow.chr301_possibly_none_timestamp:PossiblyNoneTimestamp",
    "chronolint.rules.flow.chr302_naive_aware_mixed:NaiveAwareMixed",
    "chronolint.rules.flow.chr303_column_awareness_mismatch:ColumnAwarenessMismatch",
    # migrations (rules/migrations)
    "chronolint.rules.migrations.chr401_missing_downgrade:MissingDowngrade",
    "chronolint.rules.migrations.chr402_empty_downgrade:EmptyDowngrade",
    "chronolint.rules.migrations.chr403_downgrade_not_inverse:DowngradeNotInverse",
    "chronolint.rules.migrations.chr404_naive_timestamp_in_migration:NaiveTimestampInMigration",
    "chronolint.rules.migrations.chr405_naive_timestamp_in_sql:NaiveTimestampInSql",
    "chronolint.rules.migrations.chr406_irreversible_django_operation:IrreversibleDjangoOperation",
    "chronolint.rules.migrations.chr407_ddl_outside_migrations:DdlOutsideMigrations",
)


@lru_cache(maxsize=None)
def all_rules() -> tuple:
    """Every registered rule, instantiated once, ordered by code."""
    rules = []
    for entry in REGISTRY:
        module_name, class_name = entry.split(":")
        rules.append(getattr(importlib.import_module(module_name), class_name)())
    return tuple(sorted(rules, key=lambda r: r.code))


def rule_by_code(code: str):
    for rule in all_rules():
        if rule.code == code.upper():
            return rule
    return None


def _matches(selector: str, *, everything: bool):
    """Rules a selector names. `ALL` and an exact code include opt-in rules; a prefix
    (`CHR`, `CHR0`) selects the default-on rules under it, unless `everything`."""
    selector = selector.strip().upper()
    if selector == "ALL":
        return list(all_rules())
    exact = [r for r in all_rules() if r.code == selector]
    if exact:
        return exact
    return [r for r in all_rules() if r.code.startswith(selector) and (everything or r.default_enabled)]


def validate_selectors(selectors) -> None:
    from chronolint.engine.config import ConfigError

    for selector in selectors:
        if not any(r.code.startswith(selector.strip().upper()) for r in all_rules()) and selector.strip().upper() != "ALL":
            raise ConfigError(f"unknown rule selector `{selector}`")


def select_rules(select, extend_select, ignore, *, everything: bool = False) -> list:
    """Resolve select / extend-select / ignore into the enabled rules, as ruff does."""
    chosen: dict[str, object] = {}
    for selector in (["CHR"] if select is None else select) + list(extend_select):
        for rule in _matches(selector, everything=everything):
            chosen[rule.code] = rule
    for selector in ignore:
        for rule in _matches(selector, everything=True):
            chosen.pop(rule.code, None)
    return sorted(chosen.values(), key=lambda r: r.code)

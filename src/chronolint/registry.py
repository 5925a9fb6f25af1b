"""The rule registry: one line per rule, `CODE [opt-in] [index] [aware-only] module:Class`.
Adding a rule = a module in its family's folder + one line here. `opt-in` (not in the
default selection), `index` (reads the project index) and `aware-only` (off under
`timestamp-policy = "naive-utc"`) repeat what the rule class says, so that
choosing rules and indexes imports no rule: a run served by the cache never does (a test
holds the line and the class equal)."""

from __future__ import annotations

import importlib
from functools import lru_cache

from chronolint.engine.errors import ConfigError
from chronolint.rules.policy import naive_utc

REGISTRY = (
    # naive datetimes (rules/naive)
    "CHR001                  chronolint.rules.naive.chr001_call_datetime_now:CallDatetimeNow",
    "CHR002 aware-only       chronolint.rules.naive.chr002_call_datetime_utcnow:CallDatetimeUtcnow",
    "CHR003                  chronolint.rules.naive.chr003_call_datetime_today:CallDatetimeToday",
    "CHR004                  chronolint.rules.naive.chr004_call_datetime_fromtimestamp:CallDatetimeFromtimestamp",
    "CHR005 aware-only       chronolint.rules.naive.chr005_call_datetime_utcfromtimestamp:CallDatetimeUtcfromtimestamp",
    "CHR006                  chronolint.rules.naive.chr006_call_datetime_without_tzinfo:CallDatetimeWithoutTzinfo",
    "CHR007 index            chronolint.rules.naive.chr007_call_datetime_strptime_without_zone:CallDatetimeStrptimeWithoutZone",
    "CHR008 opt-in           chronolint.rules.naive.chr008_call_date_today:CallDateToday",
    "CHR009 opt-in           chronolint.rules.naive.chr009_datetime_min_max:DatetimeMinMax",
    "CHR010                  chronolint.rules.naive.chr010_naive_function_as_value:NaiveFunctionAsValue",
    "CHR011                  chronolint.rules.naive.chr011_call_datetime_combine_without_tzinfo:CallDatetimeCombineWithoutTzinfo",
    # noqa hygiene (rules/noqa)
    "CHR100 opt-in           chronolint.rules.noqa.chr100_unused_noqa:UnusedNoqa",
    # ORM timestamp columns (rules/columns)
    "CHR101 index aware-only chronolint.rules.columns.chr101_naive_timestamp_column:NaiveTimestampColumn",
    "CHR102 index            chronolint.rules.columns.chr102_default_evaluated_at_import:DefaultEvaluatedAtImport",
    "CHR103 opt-in           chronolint.rules.columns.chr103_python_side_timestamp_default:PythonSideTimestampDefault",
    "CHR104 opt-in index     chronolint.rules.columns.chr104_model_without_timestamps:ModelWithoutTimestamps",
    # updated_at lifecycle (rules/lifecycle)
    "CHR201 index            chronolint.rules.lifecycle.chr201_updated_at_not_set:UpdatedAtNotSet",
    "CHR202 index            chronolint.rules.lifecycle.chr202_upsert_without_updated_at:UpsertWithoutUpdatedAt",
    "CHR203 index            chronolint.rules.lifecycle.chr203_raw_update_without_updated_at:RawUpdateWithoutUpdatedAt",
    "CHR204 opt-in index     chronolint.rules.lifecycle.chr204_created_at_reassigned:CreatedAtReassigned",
    "CHR205 index            chronolint.rules.lifecycle.chr205_auto_now_bypassed:AutoNowBypassed",
    "CHR206 index            chronolint.rules.lifecycle.chr206_bulk_update_without_updated_at:BulkUpdateWithoutUpdatedAt",
    # flow: None-safety and naive/aware mixing (rules/flow)
    "CHR301 index            chronolint.rules.flow.chr301_possibly_none_timestamp:PossiblyNoneTimestamp",
    "CHR302 index            chronolint.rules.flow.chr302_naive_aware_mixed:NaiveAwareMixed",
    "CHR303 index            chronolint.rules.flow.chr303_column_awareness_mismatch:ColumnAwarenessMismatch",
    # migrations (rules/migrations)
    "CHR401                  chronolint.rules.migrations.chr401_missing_downgrade:MissingDowngrade",
    "CHR402 index            chronolint.rules.migrations.chr402_empty_downgrade:EmptyDowngrade",
    "CHR403                  chronolint.rules.migrations.chr403_downgrade_not_inverse:DowngradeNotInverse",
    "CHR404 index aware-only chronolint.rules.migrations.chr404_naive_timestamp_in_migration:NaiveTimestampInMigration",
    "CHR405 aware-only       chronolint.rules.migrations.chr405_naive_timestamp_in_sql:NaiveTimestampInSql",
    "CHR406                  chronolint.rules.migrations.chr406_irreversible_django_operation:IrreversibleDjangoOperation",
    "CHR407 opt-in           chronolint.rules.migrations.chr407_ddl_outside_migrations:DdlOutsideMigrations",
    "CHR410                  chronolint.rules.migrations.chr410_alembic_offline_mode_unsafe:AlembicOfflineModeUnsafe",
    # drift: the models against the replayed migration history (rules/drift)
    "CHR408 index            chronolint.rules.drift.chr408_model_column_not_in_migrations:ModelColumnNotInMigrations",
    "CHR409 index            chronolint.rules.drift.chr409_timestamp_awareness_drift:TimestampAwarenessDrift",
)


class RegisteredRule:
    """A rule as its registry line states it: `code`, `default_enabled`, `needs_index`.
    Anything else is the rule's own, imported and instantiated on first use."""

    def __init__(self, line: str):
        code, *flags, self._target = line.split()
        self.code = code
        self.default_enabled = "opt-in" not in flags
        self.needs_index = "index" in flags
        self.aware_only = "aware-only" in flags

    def applies(self, settings) -> bool:
        """`Rule.applies`, from the line."""
        return not (self.aware_only and naive_utc(settings))

    def load(self):
        """The rule instance itself."""
        rule = self.__dict__.get("_rule")
        if rule is None:
            module_name, class_name = self._target.split(":")
            rule = self.__dict__["_rule"] = getattr(importlib.import_module(module_name), class_name)()
        return rule

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        value = getattr(self.load(), name)
        setattr(self, name, value)  # rules are stateless: look it up once
        return value

    def __repr__(self) -> str:
        return f"<rule {self.code}>"


@lru_cache(maxsize=None)
def all_rules() -> tuple:
    """Every registered rule, ordered by code (see `RegisteredRule`)."""
    return tuple(sorted((RegisteredRule(line) for line in REGISTRY), key=lambda r: r.code))


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

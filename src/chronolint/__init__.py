"""chronolint: a linter for timestamp and schema-evolution bugs in Python backends."""

__version__ = "0.1.0"

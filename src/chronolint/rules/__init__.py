"""The rules, one module each, grouped by family. The registry of codes is `chronolint.registry`;
what a rule module imports is `chronolint.rules.api`."""

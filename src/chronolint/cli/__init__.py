"""The command line: `chronolint check`, `chronolint rule`, `chronolint server`."""

# ruff's exit codes: nothing found (or --exit-zero), findings left, an error (usage,
# configuration, a file that could not be read or written).
EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

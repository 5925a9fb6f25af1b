"""The command line: `chronolint check`, `chronolint rule`, `chronolint server`."""

"""The errors a front-end turns into one line and exit code 2."""


class ConfigError(Exception):
    """A configuration problem; the CLI prints it on one line and exits 2."""

"""The engine: reading sources, resolving names, running rules, collecting diagnostics."""

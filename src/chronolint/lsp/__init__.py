"""The language-server front-end (`chronolint server`): diagnostics, quick fixes, noqa
actions and rule docs for editors, over stdio. Needs the `lsp` extra (pygls, lsprotocol)."""

from __future__ import annotations

import sys

MISSING_PYGLS = (
    "error: `chronolint server` needs pygls and lsprotocol; install them with "
    "`pip install 'chronolint[lsp]'`"
)


def run() -> int:
    """Serve LSP on stdin/stdout until the client says exit."""
    try:
        from chronolint.lsp.server import build_server
    except ImportError as exc:
        if exc.name not in ("pygls", "lsprotocol") and not str(exc.name or "").startswith(("pygls.", "lsprotocol.")):
            raise
        print(MISSING_PYGLS, file=sys.stderr)
        return 2
    build_server().start_io()
    return 0

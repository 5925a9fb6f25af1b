"""`chronolint server` without the `lsp` extra says what to install instead of a traceback."""

from __future__ import annotations

import sys

from conftest import run

NO_PYGLS = "import sys; sys.modules['pygls'] = None; from chronolint.cli.main import main; sys.exit(main(['server']))"


def test_server_without_pygls_explains_the_missing_extra():
    result = run([sys.executable, "-c", NO_PYGLS])
    assert result.returncode == 2
    assert "pip install 'chronolint[lsp]'" in result.stderr and "Traceback" not in result.stderr

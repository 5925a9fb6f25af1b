"""What the migration rules share about a module: the index's reading of a revision
(`chronolint.index.history.revision`, re-exported here, so a rule imports one place) and
whether a module belongs to the migrations at all (a revision, a Django migration, or a
helper module beside them)."""

from __future__ import annotations

import ast
from functools import lru_cache

from chronolint.engine.astutil import walk
from chronolint.index.history.revision import (
    Revision, alembic_revision, does_nothing, is_django_migration, is_docstring, module_constants,
    raises_not_implemented,
)

__all__ = [
    "Revision", "alembic_revision", "does_nothing", "in_migration_folder", "is_django_migration", "is_docstring",
    "is_migration_module", "module_constants", "raises_not_implemented", "uses_migration_context",
]


def in_migration_folder(filename: str, root: str | None = None) -> bool:
    """The file lives in an Alembic script directory (a folder with `env.py` and a
    `versions/` folder: the revisions and the helper modules beside them, such as
    `migrations/utils.py`) or in a Django app's `migrations/` package. Looked up on disk,
    from the file's folder up to the project root (at most five levels)."""
    import os

    if not filename or filename.startswith("<"):
        return False
    folder = os.path.dirname(os.path.abspath(filename))
    stop = os.path.abspath(root) if root else None
    for _ in range(5):
        if _is_migration_folder(folder):
            return True
        parent = os.path.dirname(folder)
        if parent == folder or folder == stop:
            return False
        folder = parent
    return False


@lru_cache(maxsize=4096)
def _is_migration_folder(folder: str) -> bool:
    import os

    if os.path.isfile(os.path.join(folder, "env.py")) and os.path.isdir(os.path.join(folder, "versions")):
        return True  # an Alembic script directory
    # A Django app's `migrations/` package, beside the app's `models`.
    return os.path.basename(folder) == "migrations" and os.path.isfile(os.path.join(folder, "__init__.py")) \
        and any(os.path.exists(os.path.join(os.path.dirname(folder), name)) for name in ("models.py", "models"))


def uses_migration_context(tree: ast.Module) -> bool:
    """The module imports Alembic's `op` or `context` proxies, which work only while
    migrations run: a helper module of the revisions, wherever it lives."""
    for node in walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "alembic" and not node.level:
            if any(alias.name in ("op", "context") for alias in node.names):
                return True
        elif isinstance(node, ast.Import) and any(alias.name in ("alembic.op", "alembic.context") for alias in node.names):
            return True
    return False


def is_migration_module(tree: ast.Module, filename: str, root: str | None = None) -> bool:
    """An Alembic revision, a Django migration, a module living beside them, or one that
    uses Alembic's migration-time `op` / `context`."""
    return (alembic_revision(tree) is not None or is_django_migration(tree) or uses_migration_context(tree)
            or in_migration_folder(filename, root))

"""Writing a fixed file: atomically, in the file's own encoding (cookie or BOM kept),
with its permissions. Line endings are never translated: the text keeps the bytes'
own, and inserted lines use the module's newline."""

from __future__ import annotations

import io
import os
import stat
import tempfile
import tokenize

from chronolint.engine.source import SourceError, read_source


class FileChangedError(OSError):
    """The file on disk is no longer the text the fixes were computed from."""


def _encoding_of(path: str) -> str:
    """The encoding the file was read with; `utf-8-sig` when it starts with a BOM, so
    encoding writes the BOM back."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    encoding, _ = tokenize.detect_encoding(io.BytesIO(head).readline)
    return encoding


def _unchanged(path: str, original: str) -> bool:
    try:
        return read_source(path) == original
    except SourceError:
        return False


def write_atomically(path: str, text: str, original: str | None = None) -> None:
    """Replace `path`'s content with `text`: a temp file in the same folder, then
    `os.replace`, so a reader never sees half a file. Follows a symlink to its target.
    With `original` (the text the fixes were computed from), a file edited meanwhile
    is left alone: `FileChangedError`, checked just before the replace."""
    target = os.path.realpath(path)
    data = text.encode(_encoding_of(target))
    mode = stat.S_IMODE(os.stat(target).st_mode)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".chronolint-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        if original is not None and not _unchanged(target, original):
            raise FileChangedError(f"{path} changed on disk while it was being fixed; fixes not written")
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise

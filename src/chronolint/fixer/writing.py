"""Writing a fixed file: atomically, in the file's own encoding (cookie or BOM kept),
with its permissions. Line endings are never translated: the text keeps the bytes'
own, and inserted lines use the module's newline."""

from __future__ import annotations

import io
import os
import stat
import tempfile
import tokenize


def _encoding_of(path: str) -> str:
    """The encoding the file was read with; `utf-8-sig` when it starts with a BOM, so
    encoding writes the BOM back."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    encoding, _ = tokenize.detect_encoding(io.BytesIO(head).readline)
    return encoding


def write_atomically(path: str, text: str) -> None:
    """Replace `path`'s content with `text`: a temp file in the same folder, then
    `os.replace`, so a reader never sees half a file. Follows a symlink to its target."""
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
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise

"""The blob store: file bodies on disk, named by the SHA-256 of their content.

Why content-addressed rather than mirroring paths: no user-supplied name ever reaches the
filesystem (traversal, encoded tricks and symlinks have nothing to act on); rename and move,
even across spaces, are one database update; versions and copies share one body; and a write
lands in a temporary file that only becomes visible by an atomic rename once it is complete,
so an interrupted upload leaves nothing behind and the previous version untouched.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from app.errors import TooLarge
from app.settings import Settings

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StoredBlob:
    """A body that is safely on disk."""

    sha256: str
    size: int


class BlobStore:
    """Bodies under ``<root>/blobs/ab/cd/<sha256>``; temporary uploads under ``<root>/tmp``."""

    def __init__(self, root: Path, *, fsync: bool = True) -> None:
        self.root = root
        self.fsync = fsync
        self.blobs = root / "blobs"
        self.tmp = root / "tmp"
        self.blobs.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        """The file holding a body; the name is checked to be a hash, nothing else."""
        if not _HEX64.match(sha256):
            raise ValueError("not a blob name")
        return self.blobs / sha256[:2] / sha256[2:4] / sha256

    def open(self, sha256: str) -> BinaryIO:
        """The body for reading."""
        return self.path(sha256).open("rb")

    def writer(self, *, max_bytes: int) -> BlobWriter:
        """A file-like object to stream a new body into; ``commit()`` stores it."""
        return BlobWriter(self, max_bytes=max_bytes)

    def put_stream(self, chunks: Iterable[bytes], *, max_bytes: int) -> StoredBlob:
        """Store a body from an iterable of chunks."""
        writer = self.writer(max_bytes=max_bytes)
        try:
            for chunk in chunks:
                writer.write(chunk)
            return writer.commit()
        finally:
            writer.discard()

    def put_file(self, source: BinaryIO, *, max_bytes: int) -> StoredBlob:
        """Store a body read from an open file."""
        return self.put_stream(iter(lambda: source.read(CHUNK), b""), max_bytes=max_bytes)

    def put_bytes(self, data: bytes, *, max_bytes: int) -> StoredBlob:
        """Store a small body held in memory (mail attachments, tests)."""
        return self.put_stream([data], max_bytes=max_bytes)

    def remove(self, sha256: str) -> None:
        """Delete a body nobody refers to any more."""
        self.path(sha256).unlink(missing_ok=True)


class BlobWriter:
    """Streams into a temporary file while hashing; never holds the body in memory."""

    def __init__(self, store: BlobStore, *, max_bytes: int) -> None:
        self.store = store
        self.max_bytes = max_bytes
        self.size = 0
        self._hash = hashlib.sha256()
        fd, name = tempfile.mkstemp(dir=store.tmp, prefix="up-")
        self._file: BinaryIO | None = os.fdopen(fd, "wb")
        self._temp = Path(name)

    def write(self, data: bytes) -> int:
        """Append a chunk; refuses to grow past ``max_bytes`` (and drops what was written)."""
        if self._file is None:
            raise ValueError("writer is closed")
        self.size += len(data)
        if self.size > self.max_bytes:
            self.discard()
            raise TooLarge(
                "The file is larger than the %(limit)s allowed.", limit=_human(self.max_bytes)
            )
        self._hash.update(data)
        self._file.write(data)
        return len(data)

    def close(self) -> None:
        """Flush to disk (wsgidav closes the stream before ``end_write``)."""
        if self._file is not None and not self._file.closed:
            self._file.flush()
            if self.store.fsync:
                os.fsync(self._file.fileno())
            self._file.close()

    def commit(self) -> StoredBlob:
        """Move the complete body into the store under its hash."""
        self.close()
        sha = self._hash.hexdigest()
        target = self.store.path(sha)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            self._temp.unlink(missing_ok=True)
        else:
            self._temp.chmod(0o640)
            self._temp.replace(target)
        self._file = None
        return StoredBlob(sha256=sha, size=self.size)

    def discard(self) -> None:
        """Forget an incomplete body."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self._temp.unlink(missing_ok=True)


def _human(size: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:g} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return str(size)


def store_for(settings: Settings) -> BlobStore:
    """The installation's blob store, under the data directory."""
    return BlobStore(settings.data_dir / "files", fsync=settings.files_fsync)

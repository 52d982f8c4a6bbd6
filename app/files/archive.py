"""Folders as zip archives, streamed: written chunk by chunk, never held whole in memory."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator

from sqlalchemy.orm import Session

from app.files import service
from app.files.models import FileNode
from app.files.storage import CHUNK, BlobStore


class _Sink:
    """A write-only stream without tell/seek, so zipfile writes data descriptors."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.offset = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.offset += len(data)
        return len(data)

    def flush(self) -> None:
        """Nothing buffered here."""

    def drain(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def members(db: Session, *, folder: FileNode) -> list[tuple[str, FileNode]]:
    """The files and folders to put in the archive, with their paths inside it."""
    top = folder.name or "files"
    return [(f"{top}/{rel}" if rel else top, node) for rel, node in service.walk(db, node=folder)]


def stream_zip(store: BlobStore, entries: list[tuple[str, FileNode]]) -> Iterator[bytes]:
    """Yield a zip of ``entries`` (read before streaming, so no database is needed now)."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:  # type: ignore[call-overload]
        for name, node in entries:
            if node.is_dir:
                zf.writestr(zipfile.ZipInfo(name + "/"), b"")
                continue
            info = zipfile.ZipInfo(name, date_time=node.modified_at.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            assert node.blob is not None
            with store.open(node.blob) as source, zf.open(info, "w", force_zip64=True) as dest:
                while chunk := source.read(CHUNK):
                    dest.write(chunk)
                    yield sink.drain()
            yield sink.drain()
    yield sink.drain()

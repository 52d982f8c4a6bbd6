"""Attachments uploaded while composing, kept on disk until the message is sent or discarded."""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from app.errors import NotFound, TooLarge
from app.mail.compose import clean_filename
from app.mail.submit import human_size

_ID_RE = re.compile(r"^[0-9a-f]{32}$")
MAX_AGE_SECONDS = 3 * 24 * 3600


@dataclass(frozen=True)
class Upload:
    """An uploaded attachment: its id and what the compose form shows."""

    id: str
    filename: str
    content_type: str
    size: int


class UploadStore:
    """Per-account upload folders under ``root``; ids are random, names never reach the disk."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _folder(self, owner: str) -> Path:
        return self.root / hashlib.sha256(owner.encode()).hexdigest()[:24]

    def save(
        self,
        owner: str,
        *,
        filename: str,
        content_type: str,
        chunks: Iterable[bytes],
        max_bytes: int,
    ) -> Upload:
        """Write the upload; over ``max_bytes`` it is refused and nothing stays on disk."""
        folder = self._folder(owner)
        folder.mkdir(parents=True, exist_ok=True)
        upload_id = uuid.uuid4().hex
        target = folder / f"{upload_id}.bin"
        size = 0
        try:
            with target.open("wb") as handle:
                for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge(
                            "Attachments can be at most %(limit)s in all.",
                            limit=human_size(max_bytes),
                        )
                    handle.write(chunk)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        content_type = (
            content_type
            if re.match(r"^[\w.+-]+/[\w.+-]+$", content_type)
            else ("application/octet-stream")
        )
        upload = Upload(upload_id, clean_filename(filename), content_type.lower(), size)
        (folder / f"{upload_id}.json").write_text(json.dumps(asdict(upload)))
        return upload

    def get(self, owner: str, upload_id: str) -> tuple[Upload, bytes]:
        """The upload and its bytes; another account's id is simply not found."""
        meta, data = self._paths(owner, upload_id)
        return Upload(**json.loads(meta.read_text())), data.read_bytes()

    def delete(self, owner: str, upload_id: str) -> None:
        """Remove an upload (the user took it off the message)."""
        meta, data = self._paths(owner, upload_id)
        meta.unlink(missing_ok=True)
        data.unlink(missing_ok=True)

    def total_size(self, owner: str, upload_ids: list[str]) -> int:
        """The combined size of some uploads."""
        return sum(self.get(owner, upload_id)[0].size for upload_id in upload_ids)

    def purge_old(self, now: float | None = None) -> int:
        """Delete uploads older than a few days; returns how many files went."""
        cutoff = (now or time.time()) - MAX_AGE_SECONDS
        removed = 0
        for path in self.root.glob("*/*"):
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def _paths(self, owner: str, upload_id: str) -> tuple[Path, Path]:
        if not _ID_RE.match(upload_id):
            raise NotFound("No such attachment.")
        folder = self._folder(owner)
        meta, data = folder / f"{upload_id}.json", folder / f"{upload_id}.bin"
        if not meta.exists() or not data.exists():
            raise NotFound("No such attachment.")
        return meta, data

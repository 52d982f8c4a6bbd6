"""Thumbnails of images for the grid view: made once per body, cached on disk, bounded.

A thumbnail is keyed by the body's hash, so every copy and version of a picture shares one,
and it is made at most once: a body that cannot be made into one (not an image, too many
pixels, too large a file, a decoder error on a hostile file) leaves a marker so it is not
tried again. Pillow is optional; without it there are simply no thumbnails.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from app.errors import NotFound
from app.files.storage import BlobStore

try:  # Pillow is a dependency, but a missing one must not break the file browser.
    from PIL import Image, ImageOps
except ImportError:  # pragma: no cover - exercised only where Pillow is absent
    Image = None  # type: ignore[assignment]
    ImageOps = None  # type: ignore[assignment]

THUMB_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"})
log = logging.getLogger("hamkar.files.thumbnails")


@dataclass(frozen=True)
class Limits:
    """The thumbnail's longest side, and the largest image decoded at all."""

    size: int
    max_pixels: int
    max_bytes: int


@dataclass(frozen=True)
class Thumbnail:
    """A cached thumbnail on disk and its media type."""

    path: Path
    media_type: str


def available() -> bool:
    """Whether thumbnails can be made here (Pillow is installed)."""
    return Image is not None


def thumbnail(store: BlobStore, *, sha256: str, limits: Limits) -> Thumbnail:
    """The thumbnail of a body, made now if needed; ``NotFound`` when there is none."""
    base = store.thumb_base(sha256, limits.size)
    for suffix, media in ((".jpg", "image/jpeg"), (".png", "image/png")):
        if base.with_suffix(suffix).exists():
            return Thumbnail(base.with_suffix(suffix), media)
    if base.with_suffix(".none").exists() or not available():
        raise NotFound("There is no preview of this file.")
    made = _make(store.path(sha256), base, limits)
    if made is None:
        base.parent.mkdir(parents=True, exist_ok=True)
        base.with_suffix(".none").touch()
        raise NotFound("There is no preview of this file.")
    return made


def _make(source: Path, base: Path, limits: Limits) -> Thumbnail | None:
    """Decode and shrink; ``None`` for anything refused or broken (never an exception)."""
    try:
        if source.stat().st_size > limits.max_bytes:
            return None
        # Image.open reads the header only: the size is checked before any pixel is decoded
        # (Pillow itself refuses more than twice its MAX_IMAGE_PIXELS, and only warns below).
        with Image.open(source) as image:
            width, height = image.size
            if width <= 0 or height <= 0 or width * height > limits.max_pixels:
                return None
            image.draft("RGB", (limits.size, limits.size))  # JPEG: decode at a lower scale
            image.thumbnail((limits.size, limits.size))
            small = ImageOps.exif_transpose(image) or image
            return _save(small, base)
    except Exception as exc:  # a hostile or broken file must never become a 500
        log.info("no thumbnail for %s: %r", source.name, exc)
        return None


def _save(image: Image.Image, base: Path) -> Thumbnail:
    """Write atomically: JPEG for opaque pictures, PNG where transparency matters."""
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if transparent:
        image, suffix, media, kind = image.convert("RGBA"), ".png", "image/png", "PNG"
    else:
        image, suffix, media, kind = image.convert("RGB"), ".jpg", "image/jpeg", "JPEG"
    base.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=base.parent, prefix=".thumb-")
    with os.fdopen(fd, "wb") as out:
        image.save(out, kind, quality=82) if kind == "JPEG" else image.save(out, kind)
    target = base.with_suffix(suffix)
    os.replace(name, target)
    return Thumbnail(target, media)

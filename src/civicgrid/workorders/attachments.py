"""照片与附件 — type sniffing, size limits, and public copies with EXIF (GPS) stripped."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from civicgrid.errors import Invalid, TooLarge, UnsupportedMedia
from civicgrid.kit.i18n import _

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
SIGNATURES: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "png"),
    (b"WEBP", 8, "image/webp", "webp"),
)


@dataclass(frozen=True)
class StoredFile:
    content_type: str
    size: int
    sha256: str
    path: str
    public_path: str


def sniff(data: bytes) -> tuple[str, str]:
    """(content type, extension) from the bytes themselves, never from the client's claim."""
    for magic, offset, content_type, ext in SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            if content_type == "image/webp" and data[:4] != b"RIFF":
                continue
            return content_type, ext
    raise UnsupportedMedia(_("只接受 JPEG、PNG 或 WebP 图片"))


def strip_metadata(data: bytes, content_type: str) -> bytes:
    """Re-encode the picture without EXIF/XMP (which carry GPS position and device data).

    The orientation tag is applied to the pixels first so the public copy is not rotated.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as img:
                if img.width * img.height > MAX_PIXELS:
                    raise TooLarge(_("图片像素过多"))
                img.load()
                upright = ImageOps.exif_transpose(img)
                out = io.BytesIO()
                fmt = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}[content_type]
                if fmt == "JPEG" and upright.mode not in ("RGB", "L"):
                    upright = upright.convert("RGB")
                params = {} if fmt == "PNG" else {"quality": 85}
                upright.save(out, format=fmt, **params)
                return out.getvalue()
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise TooLarge(_("图片像素过多")) from exc
        except (UnidentifiedImageError, OSError, SyntaxError) as exc:
            raise Invalid(_("图片已损坏，无法读取")) from exc


def store(data: bytes, root: Path, *, max_bytes: int = MAX_BYTES) -> StoredFile:
    """Check and store an upload: the original (staff only) and a public copy without metadata."""
    if len(data) > max_bytes:
        raise TooLarge(_("文件过大，上限为 {mb} MB").format(mb=max_bytes // (1024 * 1024)))
    if not data:
        raise Invalid(_("文件为空"))
    content_type, ext = sniff(data)
    public = strip_metadata(data, content_type)
    digest = hashlib.sha256(data).hexdigest()
    folder = root / digest[:2]
    folder.mkdir(parents=True, exist_ok=True)
    original = folder / f"{digest}.{ext}"
    public_copy = folder / f"{digest}.public.{ext}"
    if not original.exists():
        original.write_bytes(data)
    if not public_copy.exists():
        public_copy.write_bytes(public)
    return StoredFile(
        content_type,
        len(data),
        digest,
        str(original.relative_to(root)),
        str(public_copy.relative_to(root)),
    )

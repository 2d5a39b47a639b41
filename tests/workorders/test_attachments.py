"""Photos: sniffed type, size limit, EXIF GPS removed from the public copy."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from civicgrid.errors import Invalid, TooLarge, UnsupportedMedia
from civicgrid.workorders import attachments

GPS_IFD = 0x8825


def jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0112] = 6  # orientation: rotate 90° on display
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (28.0, 12.0, 30.0), 3: "E", 4: (112.0, 58.0, 1.0)})
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_public_copy_has_no_gps_and_is_upright(tmp_path: Path) -> None:
    data = jpeg_with_gps()
    with Image.open(io.BytesIO(data)) as original:
        assert original.getexif().get_ifd(GPS_IFD)
    stored = attachments.store(data, tmp_path)
    assert stored.content_type == "image/jpeg"
    public = (tmp_path / stored.public_path).read_bytes()
    with Image.open(io.BytesIO(public)) as img:
        exif = img.getexif()
        assert not exif.get_ifd(GPS_IFD)
        assert 0x010F not in exif
        assert img.size == (48, 64)  # orientation applied to the pixels
    assert b"PhoneMaker" not in public
    assert (tmp_path / stored.path).read_bytes() == data


def test_type_is_sniffed_not_trusted(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedMedia):
        attachments.store(b"%PDF-1.7 pretending to be a photo", tmp_path)
    with pytest.raises(UnsupportedMedia):
        attachments.store(b"<svg xmlns='http://www.w3.org/2000/svg'/>", tmp_path)


def test_size_limit_and_corrupt_files(tmp_path: Path) -> None:
    with pytest.raises(TooLarge):
        attachments.store(b"\xff\xd8\xff" + b"0" * 2048, tmp_path, max_bytes=1024)
    with pytest.raises(Invalid):
        attachments.store(b"\xff\xd8\xff" + b"garbage" * 10, tmp_path)
    with pytest.raises(Invalid):
        attachments.store(b"", tmp_path)


def test_png_round_trip(tmp_path: Path) -> None:
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 255, 128)).save(out, format="PNG")
    stored = attachments.store(out.getvalue(), tmp_path)
    assert stored.content_type == "image/png"
    assert stored.public_path.endswith(".public.png")

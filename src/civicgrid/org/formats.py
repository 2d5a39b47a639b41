"""边界文件读取 — read grid boundary files (GeoJSON, KML/KMZ, zipped Shapefile) into raw features.

Pure parsing: bytes in, :class:`RawFeature` list out, no database. Geometry is handed on as a
GeoJSON-like mapping and checked later (:mod:`civicgrid.org.geocheck`), so a bad feature is
reported with its position instead of failing the whole file. A file that cannot be read at all
raises :class:`~civicgrid.errors.Invalid`; an unknown format raises ``UnsupportedMedia``.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from xml.etree import ElementTree as ET

from civicgrid.errors import Invalid, UnsupportedMedia
from civicgrid.kit.i18n import _

WGS84_NAMES = ("crs84", "epsg::4326", "epsg:4326", "wgs84", "wgs 84", "4326")
MAX_ZIP_MEMBER = 200 * 1024 * 1024  # refuse zip bombs: no member may inflate beyond this


@dataclass(frozen=True)
class RawFeature:
    """One feature as read from the file; ``index`` is its 1-based position."""

    index: int
    properties: dict[str, Any]
    geometry: dict[str, Any] | None
    fid: Any = None


@dataclass
class SourceFile:
    format: str  # geojson | kml | shapefile
    features: list[RawFeature]
    warnings: list[str] = field(default_factory=list)


def detect_format(data: bytes, filename: str = "") -> str:
    suffix = PurePosixPath(filename.lower()).suffix
    if suffix in (".geojson", ".json"):
        return "geojson"
    if suffix == ".kml":
        return "kml"
    if suffix in (".kmz", ".zip") or data[:4] == b"PK\x03\x04":
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile as exc:
            raise Invalid(_("压缩文件损坏，无法读取")) from exc
        if any(n.lower().endswith(".kml") for n in names):
            return "kml"
        if any(n.lower().endswith(".shp") for n in names):
            return "shapefile"
        raise UnsupportedMedia(_("压缩包中没有 .kml 或 .shp 文件"))
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head in (b"{", b"["):
        return "geojson"
    if head == b"<":
        return "kml"
    raise UnsupportedMedia(_("不支持的文件格式（请上传 GeoJSON、KML/KMZ 或 Shapefile 压缩包）"))


def read_source(data: bytes, filename: str = "") -> SourceFile:
    """Read a boundary file of any supported format."""
    fmt = detect_format(data, filename)
    if fmt == "geojson":
        return read_geojson(data)
    if fmt == "kml":
        return read_kml(data)
    return read_shapefile_zip(data)


# --- GeoJSON -----------------------------------------------------------------------------------


def _decode_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Invalid(_("文件编码无法识别（应为 UTF-8）"))


def read_geojson(data: bytes | str | dict[str, Any]) -> SourceFile:
    """A FeatureCollection, a single Feature or a bare geometry."""
    if isinstance(data, dict):
        doc: Any = data
    else:
        text = data if isinstance(data, str) else _decode_text(data)
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise Invalid(
                _("GeoJSON 解析失败：第 {line} 行第 {col} 列").format(
                    line=exc.lineno, col=exc.colno
                )
            ) from exc
    if not isinstance(doc, dict):
        raise Invalid(_("GeoJSON 顶层应为对象（FeatureCollection）"))
    kind = doc.get("type")
    if kind == "FeatureCollection":
        items = doc.get("features")
        if not isinstance(items, list):
            raise Invalid(_("FeatureCollection 缺少 features 数组"))
    elif kind == "Feature":
        items = [doc]
    elif (isinstance(kind, str) and "coordinates" in doc) or kind == "GeometryCollection":
        items = [{"type": "Feature", "properties": {}, "geometry": doc}]
    else:
        raise Invalid(_("不是 GeoJSON：type 应为 FeatureCollection、Feature 或几何类型"))
    warnings = []
    crs_name = str(((doc.get("crs") or {}).get("properties") or {}).get("name") or "")
    if crs_name and not any(w in crs_name.lower() for w in WGS84_NAMES):
        warnings.append(
            _("坐标参考系 {crs} 不是 WGS84 经纬度，超出经纬度范围的要素将被拒绝").format(
                crs=crs_name
            )
        )
    features = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            features.append(RawFeature(i, {}, None))
            continue
        props = item.get("properties")
        geometry = item.get("geometry")
        features.append(
            RawFeature(
                index=i,
                properties=props if isinstance(props, dict) else {},
                geometry=geometry if isinstance(geometry, dict) else None,
                fid=item.get("id"),
            )
        )
    return SourceFile("geojson", features, warnings)


# --- KML / KMZ ---------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(elem: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in elem if _local(c.tag) == name]


def _descendants(elem: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in elem.iter() if _local(c.tag) == name]


def _coords(elem: ET.Element | None) -> list[list[float]]:
    if elem is None:
        return []
    coords = _descendants(elem, "coordinates")
    text = coords[0].text if coords else ""
    points = []
    for token in (text or "").split():
        parts = token.split(",")
        try:
            points.append([float(parts[0]), float(parts[1])])
        except (ValueError, IndexError) as exc:
            raise ValueError(f"bad KML coordinate {token!r}") from exc
    return points


def _kml_polygon(elem: ET.Element) -> list[list[list[float]]]:
    rings = []
    for outer in _children(elem, "outerBoundaryIs"):
        rings.append(_coords(outer))
    for inner in _children(elem, "innerBoundaryIs"):
        rings.append(_coords(inner))
    return rings


def _kml_geometry(elem: ET.Element) -> dict[str, Any] | None:
    name = _local(elem.tag)
    if name == "Polygon":
        return {"type": "Polygon", "coordinates": _kml_polygon(elem)}
    if name == "Point":
        pts = _coords(elem)
        return {"type": "Point", "coordinates": pts[0] if pts else []}
    if name == "LineString":
        return {"type": "LineString", "coordinates": _coords(elem)}
    if name == "MultiGeometry":
        parts = [g for g in (_kml_geometry(c) for c in elem) if g is not None]
        if parts and all(p["type"] == "Polygon" for p in parts):
            return {"type": "MultiPolygon", "coordinates": [p["coordinates"] for p in parts]}
        return {"type": "GeometryCollection", "geometries": parts}
    return None


def read_kml(data: bytes) -> SourceFile:
    """Placemarks of a KML (or zipped KMZ) document; ExtendedData becomes properties."""
    if data[:4] == b"PK\x03\x04":
        zf = zipfile.ZipFile(io.BytesIO(data))
        member = next(i for i in zf.infolist() if i.filename.lower().endswith(".kml"))
        data = _read_member(zf, member)
    try:
        # The standard library parser resolves no external entities, and expat >= 2.4.1 (bundled
        # with every supported Python) refuses entity-expansion bombs.
        root = ET.fromstring(data)  # noqa: S314
    except ET.ParseError as exc:
        raise Invalid(_("KML 解析失败：{error}").format(error=exc)) from exc
    features = []
    for i, placemark in enumerate(_descendants(root, "Placemark"), start=1):
        props: dict[str, Any] = {}
        for child in placemark:
            tag = _local(child.tag)
            if tag in ("name", "description") and child.text:
                props[tag] = child.text.strip()
        for data_elem in _descendants(placemark, "Data"):
            values = _children(data_elem, "value")
            if data_elem.get("name") and values:
                props[data_elem.get("name", "")] = (values[0].text or "").strip()
        for simple in _descendants(placemark, "SimpleData"):
            if simple.get("name"):
                props[simple.get("name", "")] = (simple.text or "").strip()
        geometry: dict[str, Any] | None = None
        for child in placemark:
            try:
                geometry = _kml_geometry(child)
            except ValueError:
                geometry = {"type": "Invalid", "coordinates": []}
            if geometry is not None:
                break
        features.append(RawFeature(i, props, geometry, placemark.get("id")))
    return SourceFile("kml", features)


# --- Shapefile (zipped .shp + .shx + .dbf [+ .prj, .cpg]) --------------------------------------


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > MAX_ZIP_MEMBER:
        raise Invalid(_("压缩包内文件过大：{name}").format(name=info.filename))
    return zf.read(info)


def read_shapefile_zip(data: bytes) -> SourceFile:
    import shapefile  # type: ignore[import-untyped]  # pyshp ships no py.typed

    zf = zipfile.ZipFile(io.BytesIO(data))
    by_ext: dict[str, zipfile.ZipInfo] = {}
    for info in zf.infolist():
        suffix = PurePosixPath(info.filename.lower()).suffix
        if suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg") and suffix not in by_ext:
            by_ext[suffix] = info
    missing = [ext for ext in (".shp", ".dbf") if ext not in by_ext]
    if missing:
        raise Invalid(_("Shapefile 压缩包缺少 {files}").format(files="、".join(missing)))
    blobs = {ext: _read_member(zf, info) for ext, info in by_ext.items()}
    warnings = []
    prj = blobs.get(".prj", b"").decode("latin-1").upper()
    if prj.startswith("PROJCS"):
        warnings.append(_("Shapefile 使用投影坐标系，请先转换为 WGS84 经纬度"))
    encodings = [blobs[".cpg"].decode("latin-1").strip()] if ".cpg" in blobs else []
    encodings += ["utf-8", "gb18030"]
    last_error: Exception | None = None
    for encoding in encodings:
        try:
            reader = shapefile.Reader(
                shp=io.BytesIO(blobs[".shp"]),
                shx=io.BytesIO(blobs[".shx"]) if ".shx" in blobs else None,
                dbf=io.BytesIO(blobs[".dbf"]),
                encoding=encoding,
                encodingErrors="strict",
            )
            features = []
            for i, record in enumerate(reader.iterShapeRecords(), start=1):
                shp = record.shape
                geometry = None if shp.shapeType == 0 else dict(shp.__geo_interface__)
                features.append(RawFeature(i, dict(record.record.as_dict()), geometry))
            return SourceFile("shapefile", features, warnings)
        except (UnicodeDecodeError, LookupError) as exc:
            last_error = exc
        except shapefile.ShapefileException as exc:
            if "decode" in str(exc):  # pyshp 3 wraps decoding errors: try the next encoding
                last_error = exc
                continue
            raise Invalid(_("Shapefile 无法读取：{error}").format(error=exc)) from exc
    raise Invalid(_("Shapefile 属性表编码无法识别")) from last_error

"""Reading boundary files: GeoJSON variants, KML/KMZ, zipped Shapefiles (GBK attributes too)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import shapefile

from civicgrid.errors import Invalid, UnsupportedMedia
from civicgrid.org.formats import detect_format, read_geojson, read_source
from civicgrid.org.geocheck import prepare_features

KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder>
  <Placemark id="p1">
    <name>东湖一网格</name>
    <ExtendedData><Data name="code"><value>K-1</value></Data></ExtendedData>
    <Polygon><outerBoundaryIs><LinearRing><coordinates>
      113.0,28.0,0 113.01,28.0,0 113.01,28.01,0 113.0,28.01,0 113.0,28.0,0
    </coordinates></LinearRing></outerBoundaryIs>
    <innerBoundaryIs><LinearRing><coordinates>
      113.004,28.004 113.006,28.004 113.006,28.006 113.004,28.006 113.004,28.004
    </coordinates></LinearRing></innerBoundaryIs></Polygon>
  </Placemark>
  <Placemark>
    <name>两块</name>
    <ExtendedData><SchemaData><SimpleData name="code">K-2</SimpleData></SchemaData></ExtendedData>
    <MultiGeometry>
      <Polygon><outerBoundaryIs><LinearRing><coordinates>
        113.02,28.0 113.03,28.0 113.03,28.01 113.02,28.0</coordinates>
      </LinearRing></outerBoundaryIs></Polygon>
      <Polygon><outerBoundaryIs><LinearRing><coordinates>
        113.04,28.0 113.05,28.0 113.05,28.01 113.04,28.0</coordinates>
      </LinearRing></outerBoundaryIs></Polygon>
    </MultiGeometry>
  </Placemark>
  <Placemark><name>一个点</name><Point><coordinates>113.0,28.0</coordinates></Point></Placemark>
</Folder></Document></kml>
"""


def test_kml_placemarks() -> None:
    src = read_source(KML.encode(), "grids.kml")
    assert src.format == "kml"
    clean, repaired, rejected = prepare_features(src.features)
    assert [(f.name, f.code) for f in clean] == [("东湖一网格", "K-1"), ("两块", "K-2")]
    assert len(clean[0].geometry.interiors) == 1
    assert clean[1].geometry.geom_type == "MultiPolygon"
    assert repaired == []
    assert [(r.index, r.reason) for r in rejected] == [
        (3, "不是面要素（Point）；缺少编码（属性 code）")
    ]


def test_kmz_and_broken_kml() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("doc.kml", KML)
    src = read_source(buf.getvalue(), "grids.kmz")
    assert src.format == "kml" and len(src.features) == 3
    with pytest.raises(Invalid, match="KML 解析失败"):
        read_source(b"<kml><Placemark>", "x.kml")


def _shapefile_zip(encoding: str, with_cpg: bool) -> bytes:
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    with shapefile.Writer(
        shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON, encoding=encoding
    ) as w:
        w.field("MC", "C", size=50)
        w.field("BM", "C", size=20)
        w.poly([[[113.0, 28.0], [113.0, 28.01], [113.01, 28.01], [113.01, 28.0], [113.0, 28.0]]])
        w.record("岳麓区第一网格", "S-1")
        w.null()
        w.record("空几何", "S-2")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("grids/grids.shp", shp.getvalue())
        zf.writestr("grids/grids.shx", shx.getvalue())
        zf.writestr("grids/grids.dbf", dbf.getvalue())
        zf.writestr("grids/grids.prj", 'GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984"]]')
        if with_cpg:
            zf.writestr("grids/grids.cpg", encoding)
    return buf.getvalue()


@pytest.mark.parametrize(("encoding", "with_cpg"), [("utf-8", True), ("gbk", False), ("gbk", True)])
def test_zipped_shapefile(encoding: str, with_cpg: bool) -> None:
    data = _shapefile_zip(encoding, with_cpg)
    assert detect_format(data, "upload.zip") == "shapefile"
    src = read_source(data, "upload.zip")
    clean, _, rejected = prepare_features(src.features, name_prop="MC", code_prop="BM")
    assert [(f.name, f.code) for f in clean] == [("岳麓区第一网格", "S-1")]
    assert clean[0].geometry.area == pytest.approx(0.0001)
    assert [(r.index, r.reason) for r in rejected] == [(2, "缺少几何")]


def test_shapefile_zip_missing_parts() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.shp", b"\x00" * 100)
    with pytest.raises(Invalid, match=r"\.dbf"):
        read_source(buf.getvalue(), "a.zip")


def test_geojson_variants_and_errors() -> None:
    bare = read_geojson(b'{"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,0]]]}')
    assert len(bare.features) == 1 and bare.features[0].geometry is not None
    single = read_geojson({"type": "Feature", "id": 7, "properties": None, "geometry": None})
    assert single.features[0].fid == 7 and single.features[0].properties == {}
    gbk = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {"name": "网格"}, "geometry": None}],
        },
        ensure_ascii=False,
    ).encode("gbk")
    assert read_source(gbk, "gbk.geojson").features[0].properties == {"name": "网格"}
    with pytest.raises(Invalid, match="第 1 行"):
        read_geojson(b'{"type": "FeatureCollection", "features": [}')
    with pytest.raises(Invalid):
        read_geojson(b"[1, 2]")
    with pytest.raises(Invalid):
        read_geojson(b'{"type": "Topology"}')
    with pytest.raises(Invalid, match="features"):
        read_geojson(b'{"type": "FeatureCollection"}')
    with pytest.raises(UnsupportedMedia):
        read_source(b"name,code\n", "grids.csv")
    projected = read_geojson(
        {
            "type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": "EPSG:32649"}},
            "features": [],
        }
    )
    assert projected.warnings and "EPSG:32649" in projected.warnings[0]
    wgs = read_geojson(
        {
            "type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
            "features": [],
        }
    )
    assert wgs.warnings == []

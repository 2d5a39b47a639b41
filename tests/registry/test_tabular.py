"""kit.tabular: encoding detection, header finding, row numbers as Excel shows them, writers."""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook

from civicgrid.errors import Invalid, UnsupportedMedia
from civicgrid.kit import tabular
from civicgrid.registry.mapping import header_predicate
from tests.registry.factory import write_xlsx

TEXT = "姓名,身份证号,现住址\n张三,110105194912310021,长沙市岳麓区麓山南路1号\n"


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("gbk", "gbk"),
        ("gb18030", "gbk"),  # without four-byte characters a GB18030 file *is* a GBK file
        ("utf-16", "utf-16"),
    ],
)
def test_encoding_detection(tmp_path: Path, encoding: str, detected: str) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(TEXT.encode(encoding))
    with tabular.open_table(path) as table:
        assert table.encoding == detected
        assert table.header == ["姓名", "身份证号", "现住址"]
        assert list(table.rows()) == [
            (
                2,
                {
                    "姓名": "张三",
                    "身份证号": "110105194912310021",
                    "现住址": "长沙市岳麓区麓山南路1号",
                },
            )
        ]


def test_gb18030_four_byte_characters(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes((TEXT + "王𠀾,1,2\n").encode("gb18030"))
    with tabular.open_table(path) as table:
        assert table.encoding == "gb18030"
        assert [r["姓名"] for _n, r in table.rows()] == ["张三", "王𠀾"]


def test_late_non_utf8_bytes_are_caught_before_reading(tmp_path: Path) -> None:
    """UTF-8 for the first megabyte, GBK afterwards: the whole file is checked up front."""
    head = "姓名,地址\n" + "张三,长沙\n" * 120_000
    path = tmp_path / "mixed.csv"
    path.write_bytes(head.encode("utf-8") + "李四,湘潭\n".encode("gbk"))
    with tabular.open_table(path) as table:
        assert table.encoding != "utf-8"
        assert sum(1 for _ in table.records()) == 120_001  # no decoding error half-way


def test_undecodable_file(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(codecs.BOM_UTF8 + b"\xff\xfe\xfa bad")
    with pytest.raises(UnsupportedMedia):
        tabular.open_table(path)


def test_unsupported_files(tmp_path: Path) -> None:
    for name in ("a.xls", "a.pdf"):
        (tmp_path / name).write_bytes(b"x")
        with pytest.raises(UnsupportedMedia):
            tabular.open_table(tmp_path / name)
    with pytest.raises(Invalid, match="文件不存在"):
        tabular.open_table(tmp_path / "missing.csv")
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(Invalid, match="文件是空的"):
        tabular.open_table(tmp_path / "empty.csv")
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    with pytest.raises(UnsupportedMedia, match="无法打开 Excel"):
        tabular.open_table(tmp_path / "broken.xlsx")


def test_tab_separated_and_blank_rows(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("姓名\t电话\n张三\t138\n\n  \t \n李四\t139\n", encoding="utf-8")
    with tabular.open_table(path) as table:
        assert [(n, c) for n, c in table.records()] == [(2, ["张三", "138"]), (5, ["李四", "139"])]


def test_xlsx_title_rows_blank_rows_and_types(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "a.xlsx",
        [
            ["东湖街道人口登记表"],
            ["填表单位：东湖一社区", None, "2026年11月"],
            ["姓名", "身份证号", "出生日期", "备注", "备注"],
            ["张三", "110105194912310021", dt.datetime(1949, 12, 31), 1, 2],
            [None, None, None],
            ["李四", None, 18264, None, None],
        ],
    )
    with tabular.open_table(path, header_predicate=header_predicate("people")) as table:
        assert table.header_row == 3
        assert table.format == "xlsx"
        rows = list(table.rows())
    assert [n for n, _r in rows] == [4, 6]
    first = rows[0][1]
    assert first["出生日期"] == dt.datetime(1949, 12, 31)
    assert (first["备注"], first["备注.2"]) == (1, 2)
    assert rows[1][1]["出生日期"] == 18264


def test_writers_round_trip(tmp_path: Path) -> None:
    header = ["行号", "值"]
    rows = [[1, '=HYPERLINK("http://x")'], [2, "-5"], [3, "-a"], [4, "普通"], [5, None]]
    csv_path = tabular.write_table(tmp_path / "r.csv", header, rows)
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM, so Excel reads UTF-8
    with tabular.open_table(csv_path) as table:
        values = [r["值"] for _n, r in table.rows()]
    assert values == ['\'=HYPERLINK("http://x")', "-5", "'-a", "普通", ""]
    xlsx_path = tabular.write_table(tmp_path / "r.xlsx", header, rows)
    ws = load_workbook(xlsx_path).active
    assert [c.value for c in ws[1]] == header
    assert ws["B2"].value == '\'=HYPERLINK("http://x")'
    assert ws["A6"].value == 5
    with pytest.raises(UnsupportedMedia):
        tabular.write_table(tmp_path / "r.json", header, rows)

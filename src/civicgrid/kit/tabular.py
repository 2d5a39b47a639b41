"""Tabular files in and out: CSV (with encoding detection) and Excel .xlsx, streamed.

Reading yields ``(row_number, cells)`` where ``row_number`` is the row as the user sees it when
the file is opened in Excel (the header row included, blank rows counted but skipped), so a
report can say "row 17" and the user finds row 17.

Encoding detection for CSV: a UTF-8 BOM means ``utf-8-sig``; otherwise UTF-8 is tried strictly
first, then charset-normalizer looks at a sample, and the candidates (the GB family first: GBK and
GB18030 are what Chinese offices' Excel writes) are verified against the WHOLE file with an
incremental decoder, so a file never fails half-way through an import. The same pass counts lines,
which gives the progress bar its total.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from charset_normalizer import from_bytes

from civicgrid.errors import Invalid, UnsupportedMedia
from civicgrid.kit.i18n import _

CSV_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
SAMPLE_BYTES = 256 * 1024
BLOCK_BYTES = 1024 * 1024
HEADER_SCAN_ROWS = 20
GB_FAMILY = ("gbk", "gb18030")
_GB_NAMES = frozenset({"gb2312", "gbk", "gb18030", "cp936", "hz", "euc_cn", "iso2022_cn"})

Cell = Any
HeaderPredicate = Callable[[Sequence[str]], bool]


def _decodes(path: Path, encoding: str) -> tuple[bool, int]:
    """Whether the whole file decodes strictly with ``encoding``; also counts newline bytes."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    lines = 0
    try:
        with path.open("rb") as fh:
            while block := fh.read(BLOCK_BYTES):
                lines += block.count(b"\n")
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except (UnicodeDecodeError, LookupError):
        return False, lines
    return True, lines


def _normalise_codec(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name


def detect_encoding(path: Path) -> tuple[str, int]:
    """The encoding to read a CSV with, and its number of lines (for progress and estimates).

    Raises ``UnsupportedMedia`` when no candidate decodes the whole file.
    """
    with path.open("rb") as fh:
        head = fh.read(SAMPLE_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8"]
    ok, lines = _decodes(path, candidates[0])
    if ok:
        return candidates[0], lines
    if candidates[0] != "utf-8":
        raise UnsupportedMedia(_("文件带有 Unicode 标记但内容无法按该编码读取，文件可能已损坏"))
    best = from_bytes(head).best()
    guess = _normalise_codec(best.encoding) if best is not None else None
    ordered = list(GB_FAMILY)
    if guess and guess not in _GB_NAMES and guess not in ordered:
        ordered.append(guess)
    for encoding in ordered:
        ok, lines = _decodes(path, encoding)
        if ok:
            return encoding, lines
    raise UnsupportedMedia(
        _("无法识别文件编码（已尝试 UTF-8、GBK、GB18030），请在 Excel 中另存为“CSV UTF-8”后重试")
    )


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def cell_is_blank(value: Cell) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header_text(value: Cell) -> str:
    if value is None:
        return ""
    text = str(value) if not isinstance(value, float) or not value.is_integer() else str(int(value))
    return " ".join(text.split())


@dataclass
class Table:
    """An open tabular source: its header and a one-shot stream of records aligned to it."""

    header: list[str]
    header_row: int
    format: str
    encoding: str | None = None
    filename: str = ""
    estimated_rows: int | None = None
    _records: Iterator[tuple[int, list[Cell]]] = field(default_factory=lambda: iter(()))
    _closers: list[Callable[[], None]] = field(default_factory=list)
    _translate: Callable[[Exception], Exception] | None = None

    def records(self) -> Iterator[tuple[int, list[Cell]]]:
        """``(row_number, cells)``; ``cells`` has exactly ``len(header)`` entries."""
        width = len(self.header)
        text_only = self.format == "csv"
        try:
            for row_number, cells in self._records:
                if text_only:
                    first = cells[0] if cells else ""
                    if (not first or first.isspace()) and not "".join(cells).strip():
                        continue
                elif all(cell_is_blank(c) for c in cells):
                    continue
                if len(cells) != width:
                    cells = (list(cells) + [None] * width)[:width]
                yield row_number, cells
        except csv.Error as exc:
            if self._translate is None:
                raise
            raise self._translate(exc) from exc

    def rows(self) -> Iterator[tuple[int, dict[str, Cell]]]:
        """``(row_number, {header: cell})``; repeated header names get a ``.2``, ``.3`` suffix."""
        keys = unique_names(self.header)
        for row_number, cells in self.records():
            yield row_number, dict(zip(keys, cells, strict=True))

    def close(self) -> None:
        for closer in self._closers:
            closer()
        self._closers.clear()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def unique_names(header: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in header:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}.{seen[name]}")
    return out


def _split_header(
    numbered: Iterator[tuple[int, list[Cell]]], predicate: HeaderPredicate | None
) -> tuple[int, list[str], list[tuple[int, list[Cell]]]]:
    """Find the header among the first rows (title rows above it are common in office sheets)."""
    scanned: list[tuple[int, list[Cell]]] = []
    for row_number, cells in numbered:
        scanned.append((row_number, cells))
        if len(scanned) >= HEADER_SCAN_ROWS:
            break
    non_blank = [(n, c) for n, c in scanned if not all(cell_is_blank(x) for x in c)]
    if not non_blank:
        raise Invalid(_("文件是空的：没有找到表头"))
    chosen = non_blank[0]
    if predicate is not None:
        for candidate in non_blank:
            if predicate([_header_text(c) for c in candidate[1]]):
                chosen = candidate
                break
    header = [_header_text(c) for c in chosen[1]]
    while header and not header[-1]:
        header.pop()
    rest = [(n, c) for n, c in scanned if n > chosen[0]]
    return chosen[0], header, rest


def _open_csv(path: Path, predicate: HeaderPredicate | None) -> Table:
    encoding, lines = detect_encoding(path)
    fh: IO[str] = path.open("r", encoding=encoding, newline="")
    first_line = fh.readline()
    fh.seek(0)
    reader = csv.reader(fh, delimiter=_delimiter(first_line))

    def translate(exc: Exception) -> Exception:
        return Invalid(_("CSV 第 {n} 行格式错误：{e}").format(n=reader.line_num, e=exc))

    stream = enumerate(reader, start=1)
    try:
        header_row, header, rest = _split_header(stream, predicate)
    except csv.Error as exc:
        fh.close()
        raise translate(exc) from exc
    except BaseException:
        fh.close()
        raise
    return Table(
        header=header,
        header_row=header_row,
        format="csv",
        encoding=encoding,
        filename=path.name,
        estimated_rows=max(0, lines - header_row),
        _records=itertools.chain(rest, stream),
        _closers=[fh.close],
        _translate=translate,
    )


def _open_xlsx(path: Path, predicate: HeaderPredicate | None, sheet: str | None) -> Table:
    import zipfile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        message = _("无法打开 Excel 文件（需要 .xlsx 格式）：{e}").format(e=exc)
        raise UnsupportedMedia(message) from exc
    if sheet is not None:
        if sheet not in wb.sheetnames:
            wb.close()
            raise Invalid(
                _("工作表「{s}」不存在，可选：{all}").format(s=sheet, all="、".join(wb.sheetnames))
            )
        ws = wb[sheet]
    else:
        ws = wb.worksheets[0]
    estimated = ws.max_row if isinstance(ws.max_row, int) else None
    # Some writers store wrong dimensions; without a reset, read-only mode would trust them.
    ws.reset_dimensions()

    def numbered() -> Iterator[tuple[int, list[Cell]]]:
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            yield number, list(values)

    stream = numbered()
    try:
        header_row, header, rest = _split_header(stream, predicate)
    except BaseException:
        wb.close()
        raise
    return Table(
        header=header,
        header_row=header_row,
        format="xlsx",
        filename=path.name,
        estimated_rows=max(0, estimated - header_row) if estimated else None,
        _records=itertools.chain(rest, stream),
        _closers=[wb.close],
    )


def open_table(
    path: str | Path,
    *,
    header_predicate: HeaderPredicate | None = None,
    sheet: str | None = None,
) -> Table:
    """Open a .csv/.txt/.tsv or .xlsx file for streaming. Use as a context manager."""
    path = Path(path)
    if not path.is_file():
        raise Invalid(_("文件不存在：{p}").format(p=path))
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return _open_csv(path, header_predicate)
    if suffix in XLSX_SUFFIXES:
        return _open_xlsx(path, header_predicate, sheet)
    if suffix == ".xls":
        raise UnsupportedMedia(_("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV"))
    raise UnsupportedMedia(_("不支持的文件类型 {s}：请使用 .csv 或 .xlsx").format(s=suffix or "?"))


def memory_table(header: Sequence[str], rows: Iterable[Sequence[Cell]], name: str = "") -> Table:
    """A Table over rows already in memory (row numbers as if row 1 were the header)."""
    numbered = ((n, list(r)) for n, r in enumerate(rows, start=2))
    return Table(
        header=list(header), header_row=1, format="memory", filename=name, _records=numbered
    )


# --- writing ---------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "@", "\t", "\r")


def safe_cell(value: Cell) -> Cell:
    """Neutralise spreadsheet formula injection in text cells (OWASP CSV injection)."""
    if (
        isinstance(value, str)
        and value
        and (
            value.startswith(_FORMULA_START)
            or (value[0] == "-" and len(value) > 1 and not value[1].isdigit())
        )
    ):
        return "'" + value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_csv(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Path:
    """UTF-8 with BOM, so that Excel on Chinese Windows opens it without mojibake."""
    path = Path(path)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else safe_cell(v) for v in row])
    return path


def write_xlsx(
    path: str | Path,
    header: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    sheet: str = "Sheet1",
) -> Path:
    """A write-only workbook (constant memory) with a bold, frozen header row."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    path = Path(path)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet[:31])
    ws.freeze_panes = "A2"
    widths = [max(8, min(60, 2 * len(str(h)) + 2)) for h in header]
    for i, width in enumerate(widths):
        ws.column_dimensions[_column_letter(i)].width = width
    bold = Font(bold=True)
    head_cells = []
    for name in header:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = bold
        head_cells.append(cell)
    ws.append(head_cells)
    for row in rows:
        ws.append([_xlsx_value(v) for v in row])
    wb.save(path)
    return path


def _xlsx_value(value: Cell) -> Cell:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    return safe_cell(value)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def write_table(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Path:
    """Write CSV or XLSX depending on the file's suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        return write_xlsx(path, header, rows)
    if suffix in CSV_SUFFIXES:
        return write_csv(path, header, rows)
    raise UnsupportedMedia(_("不支持的文件类型 {s}：请使用 .csv 或 .xlsx").format(s=suffix or "?"))

"""时间列解析 — timestamp columns of historic-order files, parsed a chunk at a time.

A column of a file almost always uses one zero-padded layout ("2024-03-01 08:00:00",
"03/01/2024 08:00:00 AM", "2024年03月01日 08:00" …). Those texts are checked and split into fields
with numpy over the whole chunk, and the file's zone is applied per distinct local hour. Every
other text (another layout, an out-of-range field, an hour in which the zone changes its offset)
goes through ``RowDates``, the row-at-a-time parser, which stays the definition of what a
timestamp means: the fast path only takes texts it parses to exactly the same instant (tested).

Values are int64 microseconds since the epoch, UTC; ``NAT`` marks an empty cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

DATE_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
    "%m/%d/%Y",
)
NAT = np.iinfo(np.int64).min
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_US = timedelta(microseconds=1)
_HOUR_US = 3_600_000_000
_DAY_US = 24 * _HOUR_US
Micros = NDArray[np.int64]


class RowDates:
    """Parses one timestamp, remembering the format that worked (files use one per column).

    Naive texts are in ``tz``; the result is an aware UTC datetime. Raises ``ValueError`` for
    text that is no timestamp (or one that leaves the representable range once converted).
    """

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self.fmt: str | None = None

    def __call__(self, text: str) -> datetime:
        try:
            return self._parse(text.strip())
        except OverflowError as exc:  # e.g. 0001-01-01 00:00 east of Greenwich
            raise ValueError(text) from exc

    def _parse(self, text: str) -> datetime:
        if self.fmt is not None:
            try:
                return self._aware(datetime.strptime(text, self.fmt))
            except ValueError:
                pass
        try:
            return self._aware(datetime.fromisoformat(text))
        except ValueError:
            pass
        for fmt in DATE_FORMATS:
            try:
                value = datetime.strptime(text, fmt)
            except ValueError:
                continue
            self.fmt = fmt
            return self._aware(value)
        raise ValueError(text)

    def _aware(self, value: datetime) -> datetime:
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.tz)
        return value.astimezone(UTC)


@dataclass(frozen=True)
class _Layout:
    """A fixed-width layout: ``Y M D h m s`` and ``I`` (12-hour) are digits, ``p`` is AM/PM,
    anything else must match literally. Only zero-padded texts of exactly this width match."""

    pattern: str

    def fields(self, letter: str) -> list[int]:
        return [i for i, c in enumerate(self.pattern) if c == letter]


# Each layout is parsed by exactly one branch of RowDates (ISO → fromisoformat; the others by
# their strptime format, which no other format or fromisoformat accepts), so no order question.
LAYOUTS = (
    _Layout("YYYY-MM-DD hh:mm:ss"),
    _Layout("YYYY-MM-DDThh:mm:ss"),
    _Layout("YYYY-MM-DD hh:mm"),
    _Layout("YYYY-MM-DDThh:mm"),
    _Layout("YYYY-MM-DD"),
    _Layout("YYYY/MM/DD hh:mm:ss"),
    _Layout("YYYY/MM/DD hh:mm"),
    _Layout("MM/DD/YYYY II:mm:ss pp"),
    _Layout("MM/DD/YYYY"),
    _Layout("YYYY年MM月DD日 hh:mm:ss"),
    _Layout("YYYY年MM月DD日 hh:mm"),
    _Layout("YYYY年MM月DD日"),
)
_DIGITS = "YMDhmsI"
_LENGTHS = frozenset(len(layout.pattern) for layout in LAYOUTS)
# Years the fast path takes; others (and their edge cases at the ends of datetime's range) go
# the row-at-a-time way.
_YEARS = (1900, 2199)


class DateColumn:
    """Parses one timestamp column of a file, chunk by chunk (keeps its per-hour zone offsets)."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self.row = RowDates(tz)
        self._offsets: dict[int, int | None] = {}  # local hour → offset in µs (None: changes)

    def parse(self, texts: list[str]) -> tuple[Micros, list[int]]:
        """UTC microseconds for each (stripped) text, ``NAT`` for empty ones, and the positions
        of texts that are no timestamp."""
        n = len(texts)
        out = np.full(n, NAT, dtype=np.int64)
        if not n:
            return out, []
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
        done = lengths == 0
        for width in _LENGTHS:
            where = np.flatnonzero(lengths == width)
            if where.size:
                self._fast(texts, where, width, out, done)
        bad: list[int] = []
        for k in np.flatnonzero(~done).tolist():
            try:
                value = self.row(texts[k])
            except ValueError:
                bad.append(k)
                continue
            out[k] = (value - EPOCH) // _US
        return out, bad

    def _fast(
        self,
        texts: list[str],
        where: NDArray[np.intp],
        width: int,
        out: Micros,
        done: NDArray[np.bool_],
    ) -> None:
        chosen = texts if len(where) == len(texts) else [texts[k] for k in where.tolist()]
        chars = np.array(chosen, dtype=f"<U{width}")
        codes = chars.view(np.uint32).reshape(-1, width)
        digits = codes - np.uint32(48)  # wraps around below "0": never < 10
        for layout in LAYOUTS:
            if len(layout.pattern) != width:
                continue
            match = np.ones(len(where), dtype=bool)
            for i, c in enumerate(layout.pattern):
                if c in _DIGITS:
                    match &= digits[:, i] < 10
                elif c != "p":
                    match &= codes[:, i] == ord(c)
            if layout.fields("p"):
                a, m = layout.fields("p")
                match &= ((codes[:, a] == ord("A")) | (codes[:, a] == ord("P"))) & (
                    codes[:, m] == ord("M")
                )
            rows = np.flatnonzero(match)
            if not rows.size:
                continue
            d = digits[rows].astype(np.int64)

            def number(letter: str, d: NDArray[np.int64] = d, layout: _Layout = layout) -> Micros:
                value = np.zeros(len(d), dtype=np.int64)
                for i in layout.fields(letter):
                    value = value * 10 + d[:, i]
                return value

            year, month, day = number("Y"), number("M"), number("D")
            zero = np.zeros(len(d), dtype=np.int64)
            minute = number("m") if layout.fields("m") else zero
            second = number("s") if layout.fields("s") else zero
            if layout.fields("I"):
                hour12 = number("I")
                pm = codes[rows, layout.fields("p")[0]] == ord("P")
                ok = (hour12 >= 1) & (hour12 <= 12)
                hour = hour12 % 12 + np.where(pm, 12, 0)
            else:
                hour = number("h") if layout.fields("h") else zero
                ok = hour <= 23
            ok &= (year >= _YEARS[0]) & (year <= _YEARS[1]) & (month >= 1) & (month <= 12)
            ok &= (minute <= 59) & (second <= 59) & (day >= 1)
            month_start = (
                (np.clip(year, *_YEARS) - 1970).astype("datetime64[Y]").astype("datetime64[M]")
                + (np.clip(month, 1, 12) - 1)
            ).astype("datetime64[D]")
            next_month = (month_start.astype("datetime64[M]") + 1).astype("datetime64[D]")
            ok &= day <= (next_month - month_start).astype(np.int64)
            days = month_start.astype(np.int64) + day - 1
            local = days * _DAY_US + ((hour * 60 + minute) * 60 + second) * 1_000_000
            utc, known = self._to_utc(local)
            ok &= known
            taken = where[rows[ok]]
            out[taken] = utc[ok]
            done[taken] = True

    def _to_utc(self, local: Micros) -> tuple[Micros, NDArray[np.bool_]]:
        """Local wall-clock µs → UTC µs, by the offset of each distinct local hour; ``known`` is
        False for hours in which the zone's offset changes (those rows take the slow path)."""
        hours, inverse = np.unique(local // _HOUR_US, return_inverse=True)
        offsets = np.empty(len(hours), dtype=np.int64)
        known = np.ones(len(hours), dtype=bool)
        for i, hour in enumerate(hours.tolist()):
            offset = self._offsets[hour] if hour in self._offsets else self._offset(hour)
            if offset is None:
                known[i] = False
                offsets[i] = 0
            else:
                offsets[i] = offset
        return local - offsets[inverse], known[inverse]

    def _offset(self, hour: int) -> int | None:
        start = (_NAIVE_EPOCH + timedelta(hours=hour)).replace(tzinfo=self.tz)
        end = start + timedelta(hours=1) - _US  # same tzinfo: wall-clock arithmetic
        first, last = start.utcoffset(), end.utcoffset()
        offset = None if first is None or first != last else first // _US
        self._offsets[hour] = offset
        return offset


def sqlite_texts(values: Micros) -> list[str | None]:
    """UTC µs → the text SQLAlchemy stores for a UTC datetime on SQLite
    (``YYYY-MM-DD HH:MM:SS.ffffff``), ``None`` for ``NAT``."""
    missing = values == NAT
    if missing.all():
        return [None] * len(values)
    present = values[~missing] if missing.any() else values
    # Years 1-9999 (all a datetime holds) print as 26 characters.
    strings = np.datetime_as_string(present.view("datetime64[us]"), unit="us").astype("<U26")
    strings.view(np.uint32).reshape(-1, 26)[:, 10] = ord(" ")
    texts: list[str | None] = strings.tolist()
    if len(present) == len(values):
        return texts
    out: list[str | None] = [None] * len(values)
    for k, text in zip(np.flatnonzero(~missing).tolist(), texts, strict=True):
        out[k] = text
    return out


def datetimes(values: Micros) -> list[datetime | None]:
    """UTC µs → aware UTC datetimes, ``None`` for ``NAT``."""
    return [None if v == NAT else EPOCH + timedelta(microseconds=v) for v in values.tolist()]

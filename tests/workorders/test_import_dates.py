"""The column-wise timestamp parser gives exactly what the row-at-a-time parser gives."""

from __future__ import annotations

import random
import zlib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from civicgrid.workorders.import_dates import (
    EPOCH,
    NAT,
    DateColumn,
    RowDates,
    datetimes,
    sqlite_texts,
)

FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
)
ODD = [
    "2024-02-29 12:00:00",
    "2023-02-29 12:00:00",  # no such day
    "2024-13-01",
    "2024-00-10",
    "00/10/2024",
    "12/31/2024 12:00:00 AM",  # midnight
    "12/31/2024 12:30:00 PM",
    "12/31/2024 00:30:00 AM",  # no hour 0 on a 12-hour clock
    "12/31/2024 13:30:00 PM",
    "12/31/2024 08:30:00 am",  # lower case: the row parser accepts it
    "0001-01-01 00:00",  # before year 1 in UTC east of Greenwich
    "9999-12-31 23:59:59",
    "2024-01-01 24:00:00",
    "2024-01-01 23:60:00",
    "2024-01-01 23:59:60",
    "2024年1月1日",
    "2024/1/1 8:00",
    "２０２４-01-01 08:00",  # full-width digits
    "2014-03-09 02:30:00",  # New York: skipped hour
    "2014-11-02 01:30:00",  # New York: repeated hour
    "2024-03-31 01:30:00",  # London: skipped hour
    "2024-10-27 01:30:00",  # London: repeated hour
    "1900-01-01 00:00:00",  # local mean time offsets with seconds
    "2199-12-31 23:59:59",
    "2024-01-01 08:00:00.5",
    "2024-01-01 08:00+08:00",
    "yesterday",
    "",
]


def _texts(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        if rng.random() < 0.4:  # around daylight-saving changes
            base = datetime(rng.choice([1918, 1990, 2014, 2024]), rng.choice([3, 4, 10, 11]), 1)
            moment = base + timedelta(days=rng.randrange(31), seconds=rng.randrange(4 * 3600))
        else:
            moment = datetime(1899, 12, 25) + timedelta(seconds=rng.randrange(310 * 365 * 86400))
        text = moment.strftime(rng.choice(FORMATS))
        if rng.random() < 0.05:  # a typo somewhere
            i = rng.randrange(len(text))
            text = text[:i] + rng.choice("09 :-/xA９") + text[i + 1 :]
        out.append(text)
    return out + ODD


@pytest.mark.parametrize(
    "zone",
    ["America/New_York", "Asia/Shanghai", "Europe/London", "Australia/Lord_Howe", "UTC"],
)
def test_column_parse_matches_row_parse(zone: str) -> None:
    tz = ZoneInfo(zone)
    texts = _texts(zlib.crc32(zone.encode()), 4000)
    column = DateColumn(tz)
    values, bad = column.parse(texts)
    row = RowDates(tz)
    for k, text in enumerate(texts):
        if not text:
            assert values[k] == NAT and k not in bad
            continue
        try:
            expected = (row(text) - EPOCH) // timedelta(microseconds=1)
        except ValueError:
            assert k in bad, text
            continue
        assert k not in bad and int(values[k]) == expected, text


def test_row_parser_is_the_definition() -> None:
    row = RowDates(ZoneInfo("America/New_York"))
    assert row("2014-05-10 06:15:00") == datetime(2014, 5, 10, 10, 15, tzinfo=UTC)
    assert row("05/10/2014 06:15:00 AM") == datetime(2014, 5, 10, 10, 15, tzinfo=UTC)
    with pytest.raises(ValueError):
        RowDates(ZoneInfo("Asia/Shanghai"))("0001-01-01 00:00")  # would leave datetime's range


def test_driver_values() -> None:
    moments = [datetime(2024, 5, 5, 10, 20, 24, 5, tzinfo=UTC), datetime(1, 1, 1, tzinfo=UTC)]
    values = np.array([*((m - EPOCH) // timedelta(microseconds=1) for m in moments), NAT])
    assert sqlite_texts(values) == [
        "2024-05-05 10:20:24.000005",
        "0001-01-01 00:00:00.000000",
        None,
    ]
    assert sqlite_texts(np.array([NAT, NAT])) == [None, None]
    assert datetimes(values) == [*moments, None]
    # The same text SQLAlchemy's UTCDateTime stores on SQLite.
    assert sqlite_texts(values)[0] == moments[0].replace(tzinfo=None).isoformat(" ", "microseconds")

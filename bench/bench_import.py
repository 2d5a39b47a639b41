"""Benchmark: importing a population CSV (default 1,000,000 rows) into SQLite.

    .venv/bin/python bench/bench_import.py [--rows 1000000] [--encoding utf-8|gbk] [--keep DIR]

1. builds a territory (1 district, 4 streets, 12 communities, 150 grids of 0.01°) in a fresh
   migrated SQLite file, and a CSV of realistic residents (names, valid ID numbers, phones,
   households with addresses and coordinates inside the grids, tags);
2. times the full import (``civicgrid.registry.service.import_file``: encoding check, parsing,
   validation, grid assignment, de-duplication, encryption + blind indexes, households, inserts,
   commit);
3. times the baseline: a bare ``sqlite3`` ``executemany`` of exactly the person rows the import
   wrote (read back from its database), into the same table of a fresh copy, same pragmas,
   same chunk size, one transaction, commit included;
4. times the parts: reading + parsing only, and encryption + blind indexes only;
5. re-imports the same file into the filled database (every row becomes "unchanged").

Prints rows/s for each and the ratio full import / bare executemany.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from sqlalchemy.orm import Session

from civicgrid.kit import migrate
from civicgrid.kit.crypto import FieldCipher, generate_key
from civicgrid.kit.db import make_engine
from civicgrid.kit.tabular import open_table
from civicgrid.models.org import OrgLevel
from civicgrid.org.service import create_node
from civicgrid.registry.bulk import BulkCipher
from civicgrid.registry.codes import make_id_number
from civicgrid.registry.importer import CHUNK_ROWS, ImportOptions
from civicgrid.registry.service import import_file

ORIGIN_LON, ORIGIN_LAT, SIZE, COLS, ROWS = 112.90, 28.10, 0.01, 15, 10
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱覃武戴孔汤庞樊兰殷施陶洪"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉丹宇浩凯健俊帆帅旭宁颖晨欣怡"
    "梓涵子轩一诺浩然雨桐思远嘉怡博文诗琪佳豪欣妍俊杰宇航雅婷志强建国建华淑珍秀兰桂芳海燕春梅晓东文博"
)
COMPOUNDS = ("幸福", "阳光", "锦绣", "金桂", "枫林", "湘江", "岳麓", "星沙", "芙蓉", "天心", "梅溪")
SUFFIX = ("小区", "花园", "家园", "公寓", "苑", "新村")
PHONE_PREFIX = ("133", "135", "136", "137", "138", "139", "150", "151", "158", "186", "188")
REGIONS = ("430102", "430103", "430104", "430105", "430111", "430112", "430121")
RELATIONS = ("配偶", "子", "女", "父亲", "母亲")
TAG_CHOICES = ("独居老人", "残疾人", "低保", "留守儿童", "党员", "退役军人")
HEADER = [
    "姓名",
    "身份证号",
    "性别",
    "出生日期",
    "联系电话",
    "户号",
    "与户主关系",
    "现住址",
    "经度",
    "纬度",
    "人员类别",
]


def build_territory(path: Path) -> None:
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with Session(engine) as session:
        district = create_node(
            session, parent=None, level=OrgLevel.DISTRICT, name="基准区", code="B"
        )
        streets = [
            create_node(
                session, parent=district, level=OrgLevel.STREET, name=f"第{i + 1}街道", code=f"B{i}"
            )
            for i in range(4)
        ]
        communities = [
            create_node(
                session,
                parent=streets[i // 3],
                level=OrgLevel.COMMUNITY,
                name=f"第{i + 1}社区",
                code=f"B{i // 3}-{i}",
            )
            for i in range(12)
        ]
        for g in range(COLS * ROWS):
            col, row = g % COLS, g // COLS
            x0, y0 = ORIGIN_LON + col * SIZE, ORIGIN_LAT + row * SIZE
            ring = [[x0, y0], [x0 + SIZE, y0], [x0 + SIZE, y0 + SIZE], [x0, y0 + SIZE], [x0, y0]]
            create_node(
                session,
                parent=communities[g * 12 // (COLS * ROWS)],
                level=OrgLevel.GRID,
                name=f"网格{g + 1:03d}",
                code=f"G{g + 1:03d}",
                geometry={"type": "Polygon", "coordinates": [ring]},
            )
        session.commit()
    engine.dispose()
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def write_people(path: Path, rows: int, encoding: str, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = dt.date(1935, 1, 1).toordinal()
    span = dt.date(2023, 12, 31).toordinal() - start
    written = household = 0
    used: set[str] = set()
    with path.open("w", encoding=encoding, newline="") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        while written < rows:
            household += 1
            size = min(rows - written, rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5)))
            col, row = rng.randrange(COLS), rng.randrange(ROWS)
            lon = round(ORIGIN_LON + (col + rng.uniform(0.02, 0.98)) * SIZE, 6)
            lat = round(ORIGIN_LAT + (row + rng.uniform(0.02, 0.98)) * SIZE, 6)
            address = (
                f"长沙市基准区{rng.choice(COMPOUNDS)}{rng.choice(SUFFIX)}{rng.randint(1, 40)}栋"
                f"{rng.randint(1, 6)}单元{rng.randint(1, 33)}{rng.randint(1, 4):02d}室"
            )
            surname = rng.choice(SURNAMES)
            for member in range(size):
                male = rng.random() < 0.5
                birth = dt.date.fromordinal(start + rng.randrange(span))
                region, seq = rng.choice(REGIONS), rng.randrange(500)
                id_number = make_id_number(region, birth, seq, male=male)
                while id_number in used:
                    seq = (seq + 1) % 500
                    id_number = make_id_number(region, birth, seq, male=male)
                used.add(id_number)
                given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
                tags = rng.choice(TAG_CHOICES) if rng.random() < 0.05 else ""
                relation = "户主" if member == 0 else rng.choice(RELATIONS)
                out.writerow(
                    [
                        (surname if member != 1 else rng.choice(SURNAMES)) + given,
                        id_number,
                        "男" if male else "女",
                        f"{birth.year}/{birth.month}/{birth.day}",
                        f"{rng.choice(PHONE_PREFIX)}{rng.randrange(10**8):08d}",
                        f"H{household:08d}",
                        relation,
                        address,
                        lon,
                        lat,
                        tags,
                    ]
                )
                written += 1


def fresh_copy(template: Path, target: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copy(template, target)
    return target


def time_import(db_path: Path, csv_path: Path, cipher: FieldCipher) -> tuple[float, int, int]:
    engine = make_engine(f"sqlite:///{db_path}")
    with Session(engine) as session:
        started = time.perf_counter()
        result = import_file(
            session, kind="people", path=csv_path, cipher=cipher, options=ImportOptions()
        )
        session.commit()
        seconds = time.perf_counter() - started
    engine.dispose()
    return seconds, result.rows_inserted + result.rows_updated, result.rows_rejected


def time_baseline(source: Path, target: Path) -> tuple[float, int]:
    """Bare executemany of the person rows of ``source`` into ``target`` (households first)."""
    columns = [
        r[1] for r in sqlite3.connect(source).execute("PRAGMA table_info(person)") if r[1] != "id"
    ]
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target, isolation_level=None)
    for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL"):
        dst.execute(f"PRAGMA {pragma}")
    dst.execute(f"ATTACH DATABASE '{source}' AS src")
    dst.execute("INSERT INTO household SELECT * FROM src.household")
    dst.execute("DETACH DATABASE src")
    names = ", ".join(columns)
    sql = f"INSERT INTO person ({names}) VALUES ({', '.join('?' * len(columns))})"
    cursor = src.execute(f"SELECT {names} FROM person ORDER BY id")
    seconds = 0.0
    total = 0
    dst.execute("BEGIN")
    while batch := cursor.fetchmany(CHUNK_ROWS):
        started = time.perf_counter()
        dst.executemany(sql, batch)
        seconds += time.perf_counter() - started
        total += len(batch)
    started = time.perf_counter()
    dst.execute("COMMIT")
    seconds += time.perf_counter() - started
    src.close()
    dst.close()
    return seconds, total


def time_parts(csv_path: Path, cipher: FieldCipher) -> tuple[float, float, int]:
    started = time.perf_counter()
    ids: list[str] = []
    phones: list[str] = []
    with open_table(csv_path) as table:
        for _row, cells in table.records():
            ids.append(cells[1])
            phones.append(cells[4])
    parse = time.perf_counter() - started
    bulk = BulkCipher(cipher)
    started = time.perf_counter()
    for i in range(0, len(ids), CHUNK_ROWS):
        bulk.index_many(ids[i : i + CHUNK_ROWS])
        bulk.encrypt_many(ids[i : i + CHUNK_ROWS])
        bulk.index_many(phones[i : i + CHUNK_ROWS])
        bulk.encrypt_many(phones[i : i + CHUNK_ROWS])
    crypto = time.perf_counter() - started
    return parse, crypto, len(ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--encoding", default="utf-8")
    parser.add_argument("--keep", type=Path, default=None, help="keep files in this directory")
    args = parser.parse_args()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="bench_import_"))
    workdir.mkdir(parents=True, exist_ok=True)
    cipher = FieldCipher.from_config(f"k1:{generate_key()}", "bench-secret")

    template = workdir / "template.db"
    csv_path = workdir / f"people_{args.rows}_{args.encoding}.csv"
    started = time.perf_counter()
    if not template.exists():
        build_territory(template)
    if not csv_path.exists():
        write_people(csv_path, args.rows, args.encoding)
    print(
        f"setup (territory + CSV, {csv_path.stat().st_size / 1e6:.0f} MB): "
        f"{time.perf_counter() - started:.1f} s"
    )

    parse, crypto, n = time_parts(csv_path, cipher)
    print(f"read+parse only:        {n / parse:>10,.0f} rows/s  ({parse:.2f} s)")
    print(f"encrypt+index only:     {n / crypto:>10,.0f} rows/s  ({crypto:.2f} s, 2 fields/row)")

    imported = fresh_copy(template, workdir / "imported.db")
    seconds, landed, rejected = time_import(imported, csv_path, cipher)
    print(
        f"full import:            {n / seconds:>10,.0f} rows/s  ({seconds:.2f} s, "
        f"{landed:,} landed, {rejected:,} rejected)"
    )

    baseline_db = fresh_copy(template, workdir / "baseline.db")
    base_seconds, base_rows = time_baseline(imported, baseline_db)
    print(
        f"bare executemany:       {base_rows / base_seconds:>10,.0f} rows/s  ({base_seconds:.2f} s)"
    )
    print(
        f"ratio import/baseline:  {seconds / base_seconds:.2f}x the time "
        f"({(n / seconds) / (base_rows / base_seconds):.2f} of its speed)"
    )

    again, _landed, _rej = time_import(imported, csv_path, cipher)
    print(f"re-import (unchanged):  {n / again:>10,.0f} rows/s  ({again:.2f} s)")
    if args.keep is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

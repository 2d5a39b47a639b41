"""Benchmark: importing a population CSV (default 1,000,000 rows) into SQLite.

    .venv/bin/python bench/bench_import.py [--rows 1000000] [--encoding utf-8|gbk] [--keep DIR]

1. builds a territory (1 district, 4 streets, 12 communities, 150 grids of 0.01°) in a fresh
   migrated SQLite file, and a CSV of realistic residents (names, valid ID numbers, phones,
   households with addresses and coordinates inside the grids, tags);
2. times the parts alone: reading + parsing the CSV, and encryption + blind indexes;
3. times the full import as ``civicgrid import people`` runs it (encoding check, parsing,
   validation, grid assignment, de-duplication, encryption + blind indexes, households, inserts,
   index build, commit) — and the same with the cryptography stubbed out, to show its cost;
4. times the baseline: a bare ``sqlite3`` ``executemany`` of exactly the person rows the import
   wrote (read back from its database) into the same table of a fresh copy, same pragmas,
   same chunk size, one transaction, commit included — once with the table's indexes live, once
   dropping and rebuilding them as the import does for an initial load;
5. re-imports the same file into the filled database (every row found, compared, unchanged).

Prints rows/s with wall and CPU seconds for each (the machine is shared: CPU time shows the work
when wall time is stretched by other processes) and the ratio full import / bare executemany.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from civicgrid.kit import migrate
from civicgrid.kit.crypto import FieldCipher, generate_key
from civicgrid.kit.db import make_engine
from civicgrid.kit.tabular import open_table
from civicgrid.models.org import OrgLevel
from civicgrid.org.service import create_node
from civicgrid.registry.ciphers import BulkCipher
from civicgrid.registry.codes import make_id_number
from civicgrid.registry.importer import CHUNK_ROWS, ImportOptions, run_import
from civicgrid.registry.mapping import header_predicate, resolve_mapping
from civicgrid.registry.people import PeopleHandler

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


class NoCrypto(BulkCipher):
    """Bench only: the same pipeline with encryption and blind indexes replaced by identity, to
    show what the cryptography costs. Never used by the product."""

    def encrypt_many(self, values: Sequence[str]) -> list[str]:
        return list(values)

    def index_many(self, values: Sequence[str]) -> list[str]:
        return list(values)


@dataclass
class Timing:
    wall: float
    cpu: float
    rows: int
    landed: int = 0

    def line(self, label: str) -> str:
        return (
            f"{label:<34}{self.rows / self.wall:>10,.0f} rows/s   wall {self.wall:6.2f} s   "
            f"cpu {self.cpu:6.2f} s"
        )


def time_import(
    db_path: Path,
    csv_path: Path,
    cipher: FieldCipher,
    *,
    encrypt: bool = True,
    crypto_process: bool = True,
) -> Timing:
    """The whole import as ``civicgrid import people`` runs it, commit included."""
    engine = make_engine(f"sqlite:///{db_path}")
    bulk = BulkCipher(cipher) if encrypt else NoCrypto(cipher)
    with Session(engine) as session:
        wall, cpu = time.perf_counter(), time.process_time()
        with open_table(csv_path, header_predicate=header_predicate("people")) as table:
            result = run_import(
                session,
                kind="people",
                table=table,
                mapping=resolve_mapping("people", table.header),
                cipher=bulk,
                handler_factory=PeopleHandler,
                options=ImportOptions()
                if crypto_process
                else ImportOptions(crypto_process_rows=None),
            )
        session.commit()
        timing = Timing(
            time.perf_counter() - wall,
            time.process_time() - cpu,
            result.rows_total,
            result.rows_inserted + result.rows_updated + result.rows_unchanged,
        )
    engine.dispose()
    return timing


def time_baseline(source: Path, target: Path, *, defer_indexes: bool) -> Timing:
    """Bare ``executemany`` of exactly the person rows the import wrote (read back from
    ``source``) into the same table of a fresh copy, same pragmas, chunk size, one transaction,
    commit included. Reading them back is not timed; the households are copied first, untimed.
    With ``defer_indexes`` the person indexes are dropped first and rebuilt (timed), as the
    import does for an initial load."""
    src = sqlite3.connect(source)
    columns = [r[1] for r in src.execute("PRAGMA table_info(person)") if r[1] != "id"]
    dst = sqlite3.connect(target, isolation_level=None)
    for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL"):
        dst.execute(f"PRAGMA {pragma}")
    dst.execute(f"ATTACH DATABASE '{source}' AS src")
    dst.execute("INSERT INTO household SELECT * FROM src.household")
    dst.execute("DETACH DATABASE src")
    names = ", ".join(columns)
    sql = f"INSERT INTO person ({names}) VALUES ({', '.join('?' * len(columns))})"
    cursor = src.execute(f"SELECT {names} FROM person ORDER BY id")
    wall = cpu = 0.0
    total = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    dst.execute("BEGIN")
    ddl = []
    if defer_indexes:
        ddl = [
            (name, sql_)
            for name, sql_ in dst.execute(
                "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name='person' "
                "AND sql IS NOT NULL"
            )
        ]
        for name, _sql in ddl:
            dst.execute(f'DROP INDEX "{name}"')
    wall += time.perf_counter() - started
    cpu += time.process_time() - cpu_started
    while batch := cursor.fetchmany(CHUNK_ROWS):
        started, cpu_started = time.perf_counter(), time.process_time()
        dst.executemany(sql, batch)
        wall += time.perf_counter() - started
        cpu += time.process_time() - cpu_started
        total += len(batch)
    started, cpu_started = time.perf_counter(), time.process_time()
    for _name, statement in ddl:
        dst.execute(statement)
    dst.execute("COMMIT")
    wall += time.perf_counter() - started
    cpu += time.process_time() - cpu_started
    src.close()
    dst.close()
    return Timing(wall, cpu, total, total)


def time_parts(csv_path: Path, cipher: FieldCipher) -> tuple[Timing, Timing]:
    wall, cpu = time.perf_counter(), time.process_time()
    ids: list[str] = []
    phones: list[str] = []
    with open_table(csv_path) as table:
        for _row, cells in table.records():
            ids.append(cells[1])
            phones.append(cells[4])
    parse = Timing(time.perf_counter() - wall, time.process_time() - cpu, len(ids))
    bulk = BulkCipher(cipher)
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(ids), CHUNK_ROWS):
        bulk.index_many(ids[i : i + CHUNK_ROWS])
        bulk.encrypt_many(ids[i : i + CHUNK_ROWS])
        bulk.index_many(phones[i : i + CHUNK_ROWS])
        bulk.encrypt_many(phones[i : i + CHUNK_ROWS])
    crypto = Timing(time.perf_counter() - wall, time.process_time() - cpu, len(ids))
    return parse, crypto


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
    size = csv_path.stat().st_size / 1e6
    print(
        f"setup (territory + {args.rows:,}-row CSV, {size:.0f} MB): "
        f"{time.perf_counter() - started:.1f} s"
    )
    print(f"machine load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    parse, crypto = time_parts(csv_path, cipher)
    print(parse.line("read + parse CSV only"))
    print(crypto.line("encrypt + blind-index only (x2)"))

    imported = fresh_copy(template, workdir / "imported.db")
    full = time_import(imported, csv_path, cipher)
    print(full.line("full import") + f"   ({full.landed:,} rows landed)")
    local = time_import(
        fresh_copy(template, workdir / "local.db"), csv_path, cipher, crypto_process=False
    )
    print(local.line("full import, crypto on main thread"))
    plain = time_import(fresh_copy(template, workdir / "plain.db"), csv_path, cipher, encrypt=False)
    print(plain.line("full import, crypto stubbed (bench)"))

    live = time_baseline(imported, fresh_copy(template, workdir / "b1.db"), defer_indexes=False)
    print(live.line("bare executemany (live indexes)"))
    deferred = time_baseline(imported, fresh_copy(template, workdir / "b2.db"), defer_indexes=True)
    print(deferred.line("bare executemany + index rebuild"))
    for label, base in (("live indexes", live), ("index rebuild", deferred)):
        print(
            f"ratio full import / bare executemany ({label}): "
            f"{full.wall / base.wall:.2f}x the wall time"
        )

    again = time_import(imported, csv_path, cipher)
    print(again.line("re-import, every row unchanged"))
    if args.keep is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

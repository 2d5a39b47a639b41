"""密钥轮换 — re-encrypt every field encrypted at rest with the newest key.

Encrypted columns are found from the models: every column classified HIGHLY_SENSITIVE
(``kit.classification``) holds ``v1.<key_id>.<…>`` ciphertext. Rotation reads each value not yet
under the current key (the first of ``CIVICGRID_FIELD_KEYS``), decrypts it with whichever key made
it and encrypts it with the current one. Blind indexes do not change (their key derives from the
secret key). Procedure: put the new key first, keep the old ones, run ``civicgrid keys rotate``,
then drop the old keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import Column, MetaData, Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from civicgrid.kit.classification import DataLevel
from civicgrid.kit.crypto import PREFIX, FieldCipher


@dataclass
class RotationReport:
    rotated: dict[str, int] = field(default_factory=dict)
    not_encrypted: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rotated.values())


def encrypted_columns(metadata: MetaData) -> Iterator[tuple[Table, Column[str]]]:
    for table in metadata.sorted_tables:
        for column in table.columns:
            if column.info.get("level") == DataLevel.HIGHLY_SENSITIVE:
                yield table, column


def _stale(column: Column[str], current: str) -> list[object]:
    return [column.is_not(None), column.not_like(f"{PREFIX}.{current}.%")]


def count_stale(session: Session, metadata: MetaData, cipher: FieldCipher) -> int:
    """How many values are not (yet) encrypted with the current key."""
    total = 0
    for table, column in encrypted_columns(metadata):
        total += int(
            session.scalar(
                select(func.count())
                .select_from(table)
                .where(
                    *_stale(column, cipher.current_key_id)  # type: ignore[arg-type]
                )
            )
            or 0
        )
    return total


def rotate(
    session: Session,
    metadata: MetaData,
    cipher: FieldCipher,
    *,
    batch: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> RotationReport:
    """Re-encrypt every stale value; ``progress(n)`` after each batch of ``n`` values."""
    report = RotationReport()
    current = cipher.current_key_id
    for table, column in encrypted_columns(metadata):
        (pk,) = table.primary_key.columns
        name = f"{table.name}.{column.name}"
        last = None
        while True:
            stmt = select(pk, column).where(*_stale(column, current))  # type: ignore[arg-type]
            if last is not None:
                stmt = stmt.where(pk > last)
            rows = session.execute(stmt.order_by(pk).limit(batch)).all()
            if not rows:
                break
            updates = []
            skipped = 0
            for key, value in rows:
                if not str(value).startswith(PREFIX + "."):
                    skipped += 1
                    continue
                updates.append({"_pk": key, "_value": cipher.encrypt(cipher.decrypt(value))})
            if updates:
                session.execute(
                    update(table)
                    .where(pk == bindparam("_pk"))
                    .values({column.name: bindparam("_value")}),
                    updates,
                )
            report.rotated[name] = report.rotated.get(name, 0) + len(updates)
            if skipped:
                report.not_encrypted[name] = report.not_encrypted.get(name, 0) + skipped
            last = rows[-1][0]
            if progress is not None:
                progress(len(rows))
    session.flush()
    return report

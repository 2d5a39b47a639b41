"""Data classification levels (数据分级) attached to model columns via ``info={"level": ...}``."""

from __future__ import annotations

from enum import IntEnum


class DataLevel(IntEnum):
    """Four levels, lowest to highest; SPEC §11."""

    PUBLIC = 1  # 公开
    INTERNAL = 2  # 内部
    SENSITIVE = 3  # 敏感 (masked on output, e.g. exact address)
    HIGHLY_SENSITIVE = 4  # 高度敏感个人信息 (masked on output AND encrypted at rest)


def level_info(level: DataLevel) -> dict[str, DataLevel]:
    """The ``info`` dict to pass to ``mapped_column`` for a classified column."""
    return {"level": level}

"""训练语料 — labelled and unlabelled message tables (CSV in UTF-8/GBK, or Excel) as documents.

Column options accept alternatives: ``text_cols=["分词文本", "留言详情"]`` takes, in each file, the
first of those columns the file has. That lets one command train on the segmented file and the
raw (title + body) file together, which is how the shipped model is trained.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from civicgrid.errors import Invalid
from civicgrid.intel import text as tx
from civicgrid.kit import tabular
from civicgrid.kit.i18n import _


@dataclass
class Corpus:
    """Rows of one or more tables, with their canonical documents."""

    header: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    docs: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


def _pick(header: Sequence[str], wanted: Sequence[str], what: str, path: Path) -> str:
    for name in wanted:
        if name in header:
            return name
    raise Invalid(
        _("文件 {p} 没有{w}列 {c}（现有列：{h}）").format(
            p=path.name, w=what, c="/".join(wanted), h="、".join(header)
        )
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_messages(
    paths: Sequence[str | Path],
    *,
    text_cols: Sequence[str],
    title_cols: Sequence[str] = (),
    label_cols: Sequence[str] = (),
    group_cols: Sequence[str] = (),
    require_label: bool = False,
) -> Corpus:
    """Read message tables; ``docs`` are ready for the classifier (``prepared=True``).

    A row whose label is blank is skipped when ``require_label``; a row whose text is blank is
    kept (it predicts the most common-looking class with low confidence) unless labelled data
    is being read, where it is skipped because it teaches nothing.
    """
    if not text_cols:
        raise Invalid(_("必须指定文本列"))
    corpus = Corpus()
    for raw_path in paths:
        path = Path(raw_path)
        with tabular.open_table(path) as table:
            header = list(table.header)
            text_col = _pick(header, text_cols, _("文本"), path)
            title_col = next((c for c in title_cols if c in header), None)
            label_col = _pick(header, label_cols, _("标签"), path) if require_label else None
            group_col = next((c for c in group_cols if c in header), None)
            if not corpus.header:
                corpus.header = header
            for row_number, row in table.rows():
                title = _cell(row.get(title_col)) if title_col else ""
                body = _cell(row.get(text_col))
                label = _cell(row.get(label_col)) if label_col else ""
                if require_label and (not label or not (title or body)):
                    continue
                group = _cell(row.get(group_col)) if group_col else ""
                corpus.rows.append(row)
                corpus.docs.append(tx.as_document(tx.tokenize(tx.compose(title, body))))
                corpus.labels.append(label)
                corpus.groups.append(group)
                corpus.sources.append(f"{path.name}:{row_number}")
    if require_label and not corpus.docs:
        raise Invalid(_("没有读到带标签的文本行"))
    return corpus

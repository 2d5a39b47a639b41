"""``civicgrid intel`` — 智能分析: text routing, duplicates, reply quality (and forecasting).

The classifier commands (``train``, ``predict``, ``evaluate``, ``retrain``) and the duplicate and
reply-quality commands are defined here. Files are CSV (UTF-8 or GBK) or Excel, in and out.

FORECAST / HOTSPOTS / RISK COMMANDS: the forecasting helper mounts its commands
(``forecast``, ``forecast-eval``, ``hotspots``, ``risk``) on this same Typer ``app`` below the
marker line ``# --- mounted command groups ---`` at the end of this file, through
``civicgrid.intel.cli_forecast.register(app)``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.progress import Progress
from rich.table import Table

from civicgrid.cli.common import console, err_console, session_scope
from civicgrid.errors import CivicgridError, Invalid
from civicgrid.intel import duplicates as dup
from civicgrid.intel import fairness, modelstore, service, validation
from civicgrid.intel import reply_quality as rq
from civicgrid.intel.classifier import ClassifierParams, TextClassifier
from civicgrid.intel.corpus import Corpus, read_messages
from civicgrid.kit import tabular
from civicgrid.kit.i18n import _

app = typer.Typer(
    help="智能分析 Intelligence: message classification, duplicates, reply quality, forecasting.",
    no_args_is_help=True,
)
T = TypeVar("T")

DATA_HELP = "CSV (UTF-8/GBK) or .xlsx; repeat --data to read several files."
TEXT_HELP = "Text column (body, or segmented text); repeat to give alternatives per file."
TITLE_HELP = "Optional title column, put before the text."
LABEL_HELP = "Column holding the category."
GROUP_HELP = "Column that identifies one message across files (e.g. 留言编号), for honest folds."
DB_OPTION = typer.Option(None, "--db", help="SQLite file to use instead of the configured URL.")


def _guard(work: Callable[[], T]) -> T:
    try:
        return work()
    except CivicgridError as exc:
        err_console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc


def _print_summary(summary: dict[str, Any], title: str) -> None:
    console.print(
        f"[bold]{title}[/bold]  n={summary['n']}  accuracy={summary['accuracy']:.4f}  "
        f"macro-F1={summary['macro_f1']:.4f}"
    )
    per_class = Table(title=_("分类报告 per-class report"))
    for col in ("category", "precision", "recall", "f1", "support"):
        per_class.add_column(col, justify="left" if col == "category" else "right")
    for label, m in summary["per_class"].items():
        per_class.add_row(
            label,
            f"{m['precision']:.3f}",
            f"{m['recall']:.3f}",
            f"{m['f1']:.3f}",
            str(m["support"]),
        )
    console.print(per_class)
    conf = summary["confusion"]
    matrix = Table(title=_("混淆矩阵 confusion matrix (rows: true, columns: predicted)"))
    matrix.add_column("true \\ predicted")
    for i, _label in enumerate(conf["labels"]):
        matrix.add_column(str(i + 1), justify="right")
    for i, (label, row) in enumerate(zip(conf["labels"], conf["matrix"], strict=True)):
        matrix.add_row(f"{i + 1} {label}", *[str(v) for v in row])
    console.print(matrix)


def _print_groups(rows: list[fairness.GroupQuality], title: str) -> None:
    table = Table(title=title)
    for col in ("group", "n", "accuracy", "95% CI", "rest", "macro-F1", "flag"):
        table.add_column(col, justify="left" if col in ("group", "flag") else "right")
    for q in rows:
        table.add_row(
            q.group,
            str(q.n),
            f"{q.accuracy:.3f}",
            f"{q.accuracy_low:.3f}-{q.accuracy_high:.3f}",
            f"{q.rest_accuracy:.3f}",
            f"{q.macro_f1:.3f}",
            "[red]worse[/red]" if q.flagged else "",
        )
    console.print(table)


def _read(
    data: list[Path],
    text_col: list[str],
    title_col: list[str] | None,
    label_col: list[str] | None = None,
    group_col: list[str] | None = None,
) -> Corpus:
    with console.status(_("正在读取并分词…")):
        return read_messages(
            data,
            text_cols=text_col,
            title_cols=title_col or [],
            label_cols=label_col or [],
            group_cols=group_col or [],
            require_label=label_col is not None,
        )


@app.command("train")
def train(
    data: list[Path] = typer.Option(..., "--data", help=DATA_HELP),
    text_col: list[str] = typer.Option(..., "--text-col", help=TEXT_HELP),
    label_col: list[str] = typer.Option(..., "--label-col", help=LABEL_HELP),
    out: Path = typer.Option(..., "--out", help="Model file to write (.cgm)."),
    title_col: list[str] | None = typer.Option(None, "--title-col", help=TITLE_HELP),
    group_col: list[str] | None = typer.Option(None, "--group-col", help=GROUP_HELP),
    eval_folds: int = typer.Option(
        3, help="Grouped cross-validation folds whose scores go into the metadata (0: skip)."
    ),
    c: float = typer.Option(ClassifierParams.c, "--c", help="SVM regularisation C."),
) -> None:
    """Train a message classifier (raw title+body or segmented text) and save it."""

    def work() -> None:
        corpus = _read(data, text_col, title_col, label_col, group_col)
        params = ClassifierParams(c=c)
        metrics: dict[str, Any] = {}
        if eval_folds >= 2:
            groups = validation.leakage_groups(corpus.docs, corpus.groups)
            with Progress(console=console) as progress:
                task = progress.add_task(_("交叉验证"), total=eval_folds)
                cv = validation.cross_validate(
                    corpus.docs,
                    corpus.labels,
                    groups,
                    params=params,
                    folds=eval_folds,
                    on_fold=lambda _k: progress.advance(task),
                )
            metrics = {"cv_folds": eval_folds, **cv.summary}
            _print_summary(cv.summary, _("分组交叉验证 grouped cross-validation"))
        with console.status(_("正在训练…")):
            model = TextClassifier.fit(corpus.docs, corpus.labels, params, prepared=True)
        meta = modelstore.new_meta(
            model,
            corpus.docs,
            corpus.labels,
            metrics=metrics,
            source={"files": [p.name for p in data], "text_col": text_col, "title_col": title_col},
        )
        modelstore.save_model(model, meta, out)
        console.print(
            f"[green]{_('模型已保存')}[/green] {out}  version={meta.version}  "
            f"n={meta.n_samples}  classes={len(meta.classes)}"
        )

    _guard(work)


@app.command("predict")
def predict(
    model: Path = typer.Option(..., "--model", help="Model file written by `intel train`."),
    data: list[Path] = typer.Option(..., "--data", help=DATA_HELP),
    text_col: list[str] = typer.Option(..., "--text-col", help=TEXT_HELP),
    out: Path = typer.Option(..., "--out", help="CSV or .xlsx to write."),
    title_col: list[str] | None = typer.Option(None, "--title-col", help=TITLE_HELP),
    top_k: int = typer.Option(1, "--top-k", help="Also write the k best categories (k > 1)."),
) -> None:
    """Write the input columns plus `predicted` and `confidence` (and top-k if asked)."""

    def work() -> None:
        clf, _meta = modelstore.load_model(model)
        corpus = _read(data, text_col, title_col)
        ranked = clf.top_k(corpus.docs, max(1, top_k), prepared=True)
        header = list(corpus.header)
        extra = ["predicted", "confidence"]
        for i in range(2, top_k + 1):
            extra += [f"top{i}", f"top{i}_confidence"]
        rows = []
        for row, best in zip(corpus.rows, ranked, strict=True):
            cells = [row.get(h) for h in tabular.unique_names(header)]
            cells += [best[0][0], round(best[0][1], 4)]
            for rank in range(1, top_k):
                label, p = best[rank] if rank < len(best) else (None, None)
                cells += [label, None if p is None else round(p, 4)]
            rows.append(cells)
        tabular.write_table(out, header + extra, rows)
        console.print(f"[green]{_('已写入')}[/green] {out}  rows={len(rows)}")

    _guard(work)


@app.command("evaluate")
def evaluate(
    model: Path = typer.Option(..., "--model", help="Model file written by `intel train`."),
    data: list[Path] = typer.Option(..., "--data", help=DATA_HELP),
    text_col: list[str] = typer.Option(..., "--text-col", help=TEXT_HELP),
    label_col: list[str] = typer.Option(..., "--label-col", help=LABEL_HELP),
    title_col: list[str] | None = typer.Option(None, "--title-col", help=TITLE_HELP),
    by: list[str] | None = typer.Option(
        None, "--by", help="Also report quality per value of this column (area, channel...)."
    ),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the figures as JSON."),
) -> None:
    """Print accuracy, macro-F1, per-class report and confusion matrix on labelled data."""

    def work() -> None:
        clf, meta = modelstore.load_model(model)
        corpus = _read(data, text_col, title_col, label_col, by)
        predicted = clf.predict(corpus.docs, prepared=True)
        summary = fairness.summarise(corpus.labels, predicted)
        unknown = sorted(set(corpus.labels) - set(clf.classes))
        if unknown:
            err_console.print(f"[yellow]{_('模型不认识的类别')}: {'、'.join(unknown)}[/yellow]")
        _print_summary(summary, f"{model.name} ({meta.version})")
        report: dict[str, Any] = {"model": meta.version, **summary}
        if by:
            groups = fairness.group_quality(corpus.labels, predicted, corpus.groups)
            _print_groups(groups, _("分组质量 quality per {c}").format(c="/".join(by)))
            report["groups"] = [g.to_dict() for g in groups]
        if json_out is not None:
            json_out.write_text(json.dumps(report, ensure_ascii=False, indent=2), "utf-8")

    _guard(work)


@app.command("retrain")
def retrain(
    name: str = typer.Option("messages", help="Model name in the model store."),
    min_rows: int = typer.Option(50, help="Refuse to train on fewer confirmed work orders."),
    db: str | None = DB_OPTION,
) -> None:
    """Retrain the routing model on confirmed work-order categories; store a new version."""

    def work() -> None:
        with session_scope(db) as session:
            result = service.retrain_from_workorders(session, name=name, min_rows=min_rows)
        console.print(
            f"[green]{_('已训练')}[/green] {name} version={result.meta.version} "
            f"n={result.meta.n_samples} seconds={result.seconds:.1f} "
            f"holdout macro-F1={result.meta.metrics.get('holdout_macro_f1', float('nan')):.3f}"
        )

    _guard(work)


@app.command("reply-quality")
def reply_quality(
    data: Path = typer.Option(..., "--data", help="CSV or .xlsx with messages and replies."),
    message_col: list[str] = typer.Option(..., "--message-col", help="Message text column(s)."),
    reply_col: str = typer.Option(..., "--reply-col", help="Reply text column."),
    out: Path = typer.Option(..., "--out", help="CSV or .xlsx to write."),
    asked_at_col: str | None = typer.Option(None, help="Message time column."),
    replied_at_col: str | None = typer.Option(None, help="Reply time column."),
) -> None:
    """Score each reply for relevance, completeness and timeliness; flag non-answers."""

    def work() -> None:
        with tabular.open_table(data) as table:
            header = tabular.unique_names(table.header)
            missing = [c for c in [*message_col, reply_col] if c not in header]
            if missing:
                raise Invalid(_("找不到列：{c}").format(c="、".join(missing)))
            rows = [row for _n, row in table.rows()]
        extra = ["relevance", "completeness", "timeliness", "score", "non_answer", "reasons"]
        out_rows = []
        for row in rows:
            message = "\n".join(str(row.get(c) or "") for c in message_col)
            result = rq.score_reply(
                message,
                str(row.get(reply_col) or ""),
                asked_at=rq.parse_time(row.get(asked_at_col)) if asked_at_col else None,
                replied_at=rq.parse_time(row.get(replied_at_col)) if replied_at_col else None,
            )
            out_rows.append(
                [row.get(h) for h in header]
                + [
                    round(result.relevance, 3),
                    round(result.completeness, 3),
                    None if result.timeliness is None else round(result.timeliness, 3),
                    round(result.score, 3),
                    result.non_answer,
                    "；".join(result.reasons),
                ]
            )
        tabular.write_table(out, header + extra, out_rows)
        flagged = sum(1 for r in out_rows if r[-2])
        console.print(
            f"[green]{_('已写入')}[/green] {out}  rows={len(out_rows)}  non-answers={flagged}"
        )

    _guard(work)


@app.command("duplicates")
def duplicates(
    data: list[Path] = typer.Option(..., "--data", help=DATA_HELP),
    text_col: list[str] = typer.Option(..., "--text-col", help=TEXT_HELP),
    out: Path = typer.Option(..., "--out", help="CSV or .xlsx of near-duplicate pairs."),
    title_col: list[str] | None = typer.Option(None, "--title-col", help=TITLE_HELP),
    min_text: float = typer.Option(0.8, help="Minimum text similarity (0-1) of a pair."),
) -> None:
    """List pairs of near-identical messages in a table (text only; for cleaning data)."""

    def work() -> None:
        corpus = _read(data, text_col, title_col)
        with console.status(_("正在比对…")):
            pairs = dup.duplicate_pairs(corpus.docs, min_text=min_text)
        rows = [
            [
                corpus.sources[i],
                corpus.sources[j],
                round(sim, 4),
                corpus.docs[i][:200],
                corpus.docs[j][:200],
            ]
            for i, j, sim in pairs
        ]
        tabular.write_table(out, ["row_a", "row_b", "similarity", "text_a", "text_b"], rows)
        console.print(f"[green]{_('已写入')}[/green] {out}  pairs={len(rows)}")

    _guard(work)


# --- mounted command groups ---

from civicgrid.intel import cli_forecast  # noqa: E402

cli_forecast.register(app)

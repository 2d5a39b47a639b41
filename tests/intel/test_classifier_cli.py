"""``civicgrid intel train|predict|evaluate|reply-quality`` through the CLI, on small files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from civicgrid.cli.main import app
from civicgrid.intel import modelstore as ms
from civicgrid.intel import text as tx
from tests.intel.test_classifier import corpus

runner = CliRunner()


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("cli")
    texts, labels = corpus()
    raw_rows = []
    for i, (t, label) in enumerate(zip(texts, labels, strict=True)):
        title, body = t.split("\n", 1)
        raw_rows.append([str(i), title, body, label, "东湖" if i % 2 else "西山"])
    raw = write_csv(
        base / "raw_gbk.csv", ["编号", "留言主题", "留言详情", "一级标签", "街道"], raw_rows, "gbk"
    )
    seg_rows = [[" ".join(tx.tokenize(t)), lab] for t, lab in zip(texts, labels, strict=True)]
    seg = write_csv(base / "seg.csv", ["分词文本", "一级标签"], seg_rows, "utf-8")
    return {"raw": raw, "seg": seg, "dir": base}


def test_train_predict_evaluate_round_trip(files: dict[str, Path]) -> None:
    model = files["dir"] / "m.cgm"
    result = runner.invoke(
        app,
        [
            "intel", "train", "--data", str(files["raw"]), "--title-col", "留言主题",
            "--text-col", "留言详情", "--label-col", "一级标签", "--out", str(model),
            "--eval-folds", "2",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "macro-F1" in result.output and "模型已保存" in result.output
    meta = ms.read_meta(model)
    assert meta.n_samples == 72 and meta.metrics["cv_folds"] == 2
    assert 0.0 <= meta.metrics["macro_f1"] <= 1.0

    out = files["dir"] / "pred.xlsx"
    result = runner.invoke(
        app,
        [
            "intel", "predict", "--model", str(model), "--data", str(files["seg"]),
            "--text-col", "分词文本", "--out", str(out), "--top-k", "2",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert list(rows[0]) == [
        "分词文本", "一级标签", "predicted", "confidence", "top2", "top2_confidence",
    ]  # fmt: skip
    assert len(rows) == 73
    right = sum(r[2] == r[1] for r in rows[1:])
    assert right >= 65
    assert all(0 < float(r[3]) <= 1 and float(r[3]) >= float(r[5]) for r in rows[1:])

    report = files["dir"] / "eval.json"
    result = runner.invoke(
        app,
        [
            "intel", "evaluate", "--model", str(model), "--data", str(files["raw"]),
            "--title-col", "留言主题", "--text-col", "留言详情", "--label-col", "一级标签",
            "--by", "街道", "--json", str(report),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    for needle in ("accuracy=", "macro-F1=", "per-class report", "confusion matrix", "东湖"):
        assert needle in result.output
    data = json.loads(report.read_text("utf-8"))
    assert data["n"] == 72 and {g["group"] for g in data["groups"]} == {"东湖", "西山"}


def test_train_on_both_forms_with_column_alternatives(files: dict[str, Path]) -> None:
    model = files["dir"] / "both.cgm"
    result = runner.invoke(
        app,
        [
            "intel", "train", "--data", str(files["raw"]), "--data", str(files["seg"]),
            "--text-col", "分词文本", "--text-col", "留言详情", "--title-col", "留言主题",
            "--label-col", "一级标签", "--out", str(model), "--eval-folds", "0",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert ms.read_meta(model).n_samples == 144


def test_missing_column_is_a_clear_error(files: dict[str, Path]) -> None:
    result = runner.invoke(
        app,
        [
            "intel", "train", "--data", str(files["seg"]), "--text-col", "正文",
            "--label-col", "一级标签", "--out", str(files["dir"] / "x.cgm"),
        ],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "正文" in result.output
    assert not (files["dir"] / "x.cgm").exists()


def test_predict_with_a_bad_model_file_fails_cleanly(files: dict[str, Path]) -> None:
    bad = files["dir"] / "bad.cgm"
    bad.write_text("not a model", "utf-8")
    result = runner.invoke(
        app,
        [
            "intel", "predict", "--model", str(bad), "--data", str(files["seg"]),
            "--text-col", "分词文本", "--out", str(files["dir"] / "p.csv"),
        ],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "模型" in result.output


def test_reply_quality_command(files: dict[str, Path]) -> None:
    src = write_csv(
        files["dir"] / "replies.csv",
        ["留言主题", "留言详情", "答复意见", "留言时间", "答复时间"],
        [
            [
                "小区路灯不亮",
                "幸福小区3栋门口路灯坏了一个月，晚上很黑，什么时候能修？",
                "网友您好！经核实，幸福小区3栋门口路灯线路老化，街道已安排维修人员于5月3日更换，"
                "目前已恢复照明。如有疑问请拨打联系电话0731-88886666。",
                "2024-05-01 09:00:00",
                "2024-05-04 10:00:00",
            ],
            ["小区路灯不亮", "路灯坏了", "网友：您好！留言已收悉", "2024-05-01", "2024-07-30"],
        ],
        "utf-8",
    )
    out = files["dir"] / "rq.csv"
    result = runner.invoke(
        app,
        [
            "intel", "reply-quality", "--data", str(src), "--message-col", "留言主题",
            "--message-col", "留言详情", "--reply-col", "答复意见", "--out", str(out),
            "--asked-at-col", "留言时间", "--replied-at-col", "答复时间",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["non_answer"] == "False" and rows[1]["non_answer"] == "True"
    assert float(rows[0]["score"]) > float(rows[1]["score"])
    assert float(rows[0]["timeliness"]) == 1.0 and float(rows[1]["timeliness"]) < 0.25


def test_top_k_beyond_the_number_of_classes_leaves_blanks(files: dict[str, Path]) -> None:
    model = files["dir"] / "k.cgm"
    train = ["intel", "train", "--data", str(files["seg"]), "--text-col", "分词文本"]
    train += ["--label-col", "一级标签", "--out", str(model), "--eval-folds", "0"]
    assert runner.invoke(app, train).exit_code == 0
    out = files["dir"] / "k.csv"
    predict = ["intel", "predict", "--model", str(model), "--data", str(files["seg"])]
    predict += ["--text-col", "分词文本", "--out", str(out), "--top-k", "4"]
    result = runner.invoke(app, predict)
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["top3"] and rows[0]["top4"] == "" and rows[0]["top4_confidence"] == ""


def test_excel_input(files: dict[str, Path]) -> None:
    from openpyxl import Workbook

    texts, labels = corpus()
    book = Workbook()
    sheet = book.active
    sheet.append(["正文", "类别"])
    for t, label in zip(texts, labels, strict=True):
        sheet.append([t, label])
    path = files["dir"] / "in.xlsx"
    book.save(path)
    model = files["dir"] / "x.cgm"
    args = ["intel", "train", "--data", str(path), "--text-col", "正文", "--label-col", "类别"]
    result = runner.invoke(app, [*args, "--out", str(model), "--eval-folds", "0"])
    assert result.exit_code == 0, result.output
    evaluate = ["intel", "evaluate", "--model", str(model), "--data", str(path)]
    result = runner.invoke(app, [*evaluate, "--text-col", "正文", "--label-col", "类别"])
    assert result.exit_code == 0 and "accuracy=1.0000" in result.output

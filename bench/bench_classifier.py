"""Benchmark: message classifier vs a plain TF-IDF + LinearSVC baseline, same split, same run.

    .venv/bin/python bench/bench_classifier.py [--cv 5] [--ablation] [--demo-db PATH]

Data: ../shared/data/gov_messages/{train_segmented.csv, train.csv}, both forms together, split
by ``validation.holdout_split`` (grouped: a message's two forms and identical texts stay on one
side; about 20% held out). Prints training time, prediction speed on one core (BLAS/OpenMP
threads set to 1) from the input text to label + confidence, macro-F1 on the held-out segmented
and raw messages, and ratios against the baseline. ``--cv K`` adds grouped K-fold
cross-validation on the other 80% (slow): pooled out-of-fold macro-F1 and the mean +- standard
deviation over folds. ``--ablation`` also scores the model without its naive-Bayes feature scaling
(``nb_alpha=0, c=1``, the previous default) on the same split and folds. ``--demo-db`` times
retraining on a demo city.
Timings are wall clock and CPU time of this process; the machine is shared, so compare ratios.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from functools import partial  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from civicgrid.intel import fairness, validation  # noqa: E402
from civicgrid.intel import text as tx  # noqa: E402
from civicgrid.intel.classifier import ClassifierParams, TextClassifier  # noqa: E402

ABLATION = ClassifierParams(c=1.0, nb_alpha=0.0)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "gov_messages"


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def load() -> tuple[list[str], list[str], list[str], list[str], list[str]]:
    """Inputs as given (segmented text, or title + body), labels, ids and forms."""
    seg = pd.read_csv(DATA / "train_segmented.csv", dtype=str)
    raw = pd.read_csv(DATA / "train.csv", dtype=str).fillna("")
    inputs = seg["分词文本"].tolist() + [
        tx.compose(a, b) for a, b in zip(raw["留言主题"], raw["留言详情"], strict=True)
    ]
    labels = seg["一级标签"].tolist() + raw["一级标签"].tolist()
    ids = [str(v).split(".")[0] if isinstance(v, str) else "" for v in seg["留言编号"]]
    ids += raw["留言编号"].tolist()
    forms = ["seg"] * len(seg) + ["raw"] * len(raw)
    return inputs, labels, ids, forms, [tx.as_document(tx.tokenize(t)) for t in inputs]


def baseline_fit(docs: list[str], labels: list[str]) -> Any:
    vec = TfidfVectorizer(tokenizer=str.split, token_pattern=None, lowercase=False)
    svm = LinearSVC().fit(vec.fit_transform(docs), labels)
    return vec, svm


def speed(predict: Callable[[list[str]], Any], texts: list[str], n: int) -> tuple[float, float]:
    batch = (texts * (n // max(1, len(texts)) + 1))[:n]
    _, wall, cpu = timed(lambda: predict(batch))
    return n / wall, n / max(cpu, 1e-9)


def f1_of(pred: list[str], labels: list[str], rows: list[int]) -> float:
    return float(
        fairness.summarise([labels[i] for i in rows], [pred[k] for k in range(len(rows))])[
            "macro_f1"
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cv", type=int, default=0, help="grouped CV folds on the 80% (0: skip)")
    parser.add_argument("--speed-n", type=int, default=5000, help="messages per speed run")
    parser.add_argument(
        "--ablation", action="store_true", help="also score the model without NB scaling"
    )
    parser.add_argument("--demo-db", type=Path, default=None, help="demo SQLite to retrain on")
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"shared data not found at {DATA}")

    (inputs, labels, ids, forms, docs), _w, prep_cpu = timed(load)
    groups = validation.leakage_groups(docs, ids)
    train, test = validation.holdout_split(labels, groups)
    tr_docs, tr_y = [docs[i] for i in train], [labels[i] for i in train]
    seg_rows = [int(i) for i in test if forms[i] == "seg"]
    raw_rows = [int(i) for i in test if forms[i] == "raw"]
    print(
        f"rows {len(docs)}  train {len(train)}  held out: seg {len(seg_rows)} raw {len(raw_rows)}"
    )
    print(f"tokenising all inputs: {prep_cpu:.1f} s CPU")

    (vec, svm), b_wall, b_cpu = timed(lambda: baseline_fit(tr_docs, tr_y))
    model, m_wall, m_cpu = timed(lambda: TextClassifier.fit(tr_docs, tr_y, prepared=True))
    print(f"n_features: ours {model.n_features}  baseline {len(vec.vocabulary_)}")

    def base_predict(texts: list[str]) -> list[str]:
        return list(svm.predict(vec.transform([tx.as_document(tx.tokenize(t)) for t in texts])))

    def ours_predict(texts: list[str]) -> tuple[list[str], list[float]]:
        out: tuple[list[str], list[float]] = model.predict_with_confidence(texts)
        return out

    rows: list[tuple[str, float, float]] = []
    for name, rset in (("seg", seg_rows), ("raw", raw_rows)):
        texts = [inputs[i] for i in rset]
        ours = model.predict_with_confidence(texts)[0]
        base = base_predict(texts)
        rows.append((name, f1_of(ours, labels, rset), f1_of(base, labels, rset)))
    seg_texts = [inputs[i] for i in seg_rows]
    raw_texts = [inputs[i] for i in raw_rows]
    o_seg = speed(ours_predict, seg_texts, args.speed_n)
    b_seg = speed(base_predict, seg_texts, args.speed_n)
    o_raw = speed(ours_predict, raw_texts, args.speed_n // 2)
    b_raw = speed(base_predict, raw_texts, args.speed_n // 2)

    print("\nheld-out macro-F1          ours    baseline  ratio")
    for name, ours_f1, base_f1 in rows:
        print(f"  {name:24s} {ours_f1:.4f}  {base_f1:.4f}    {ours_f1 / base_f1:.3f}")
    if args.ablation:
        plain = TextClassifier.fit(tr_docs, tr_y, ABLATION, prepared=True)
        print("  without NB scaling (nb_alpha=0, c=1):")
        for name, rset in (("seg", seg_rows), ("raw", raw_rows)):
            f1 = f1_of(plain.predict([inputs[i] for i in rset]), labels, rset)
            print(f"    {name:22s} {f1:.4f}")
    print("\ntraining time (s)          ours    baseline  ratio")
    print(f"  wall                     {m_wall:7.1f} {b_wall:7.1f}    {m_wall / b_wall:.1f}")
    print(f"  cpu                      {m_cpu:7.1f} {b_cpu:7.1f}    {m_cpu / b_cpu:.1f}")
    print("\nprediction, 1 thread (msgs/s; text in, label + confidence out)")
    print("                           ours(wall/cpu)      baseline(wall/cpu)  ratio(cpu)")
    for name, o, b in (("segmented", o_seg, b_seg), ("raw title+body", o_raw, b_raw)):
        print(f"  {name:24s} {o[0]:7.0f}/{o[1]:7.0f}  {b[0]:7.0f}/{b[1]:7.0f}    {o[1] / b[1]:.2f}")

    if args.cv:
        dev_docs = tr_docs
        dev_groups = validation.leakage_groups(dev_docs, [ids[i] for i in train])
        dev_forms = np.asarray([forms[i] for i in train])
        folds = validation.grouped_folds(tr_y, dev_groups, args.cv, seed=7)
        variants = [("ours", ClassifierParams())]
        if args.ablation:
            variants.append(("without NB scaling", ABLATION))
        for title, params in variants:
            cv, cv_wall, _c = timed(
                partial(
                    validation.cross_validate,
                    dev_docs,
                    tr_y,
                    dev_groups,
                    params=params,
                    folds=args.cv,
                    seed=7,
                )
            )
            print(f"\ngrouped {args.cv}-fold CV on the 80%, {title} ({cv_wall:.0f} s):")
            for name in ("seg", "raw"):
                idx = [k for k in range(len(dev_docs)) if dev_forms[k] == name]
                s = fairness.summarise([tr_y[k] for k in idx], [cv.predictions[k] for k in idx])
                per = [
                    f1_of(
                        [cv.predictions[k] for k in te if dev_forms[k] == name],
                        tr_y,
                        [int(k) for k in te if dev_forms[k] == name],
                    )
                    for _tr, te in folds
                ]
                print(
                    f"  {name}: macro-F1 {s['macro_f1']:.4f} pooled, "
                    f"{np.mean(per):.4f} +- {np.std(per):.4f} over folds  "
                    f"accuracy {s['accuracy']:.4f}"
                )

    if args.demo_db is not None:
        demo_retrain(args.demo_db)


def demo_retrain(path: Path) -> None:
    import tempfile

    from civicgrid.intel import service
    from civicgrid.intel.classifier import ClassifierParams
    from civicgrid.intel.demo_step import DEMO_ROWS
    from civicgrid.intel.modelstore import ModelStore
    from civicgrid.kit.db import make_engine, make_sessionmaker, transaction

    engine = make_engine(f"sqlite:///{path}")
    with transaction(make_sessionmaker(engine)) as session, tempfile.TemporaryDirectory() as d:
        result = service.retrain_from_workorders(
            session,
            store=ModelStore(d),
            max_rows=DEMO_ROWS,
            params=ClassifierParams(calibration_folds=2),
        )
        session.rollback()
    engine.dispose()
    m = result.meta.metrics
    print(
        f"\ndemo retraining: {result.meta.n_samples} orders, {len(result.meta.classes)} classes, "
        f"{result.seconds:.1f} s wall, out-of-fold macro-F1 {m['oof_macro_f1']:.4f}"
    )
    worst = m["per_community"][:3]
    print("  worst communities:", ", ".join(f"{g['group']} {g['accuracy']:.3f}" for g in worst))


if __name__ == "__main__":
    main()

"""Classifier units: tokenising both forms, the n-gram features, fitting, top-k, model files."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from civicgrid.errors import Invalid, NotFound
from civicgrid.intel import features as ft
from civicgrid.intel import modelstore as ms
from civicgrid.intel import text as tx
from civicgrid.intel.classifier import (
    ClassifierParams,
    TextClassifier,
    _nb_scale,
    prepare,
    suggest,
)

# A tiny corpus with three clear topics (and shared generic words).
TOPICS = {
    "城乡建设": ["小区物业乱收停车费", "楼顶水箱长年不清洗", "小区电梯经常故障停运", "物业不作为"],
    "教育文体": ["学校违规补课收费", "幼儿园学位紧张入学难", "教师工资拖欠", "学生课业负担过重"],
    "交通运输": ["公交线路调整不合理", "路口红绿灯时间太短", "出租车拒载绕路", "道路施工占道拥堵"],
}


def corpus(repeat: int = 6) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for r in range(repeat):
        for label, phrases in TOPICS.items():
            for k, p in enumerate(phrases):
                other = phrases[(k + r + 1) % len(phrases)]
                texts.append(
                    f"关于{p}的问题\n尊敬的领导：我们这里{p}，{other}，请尽快处理。第{r}次"
                )
                labels.append(label)
    return texts, labels


@pytest.fixture(scope="module")
def small_model() -> TextClassifier:
    texts, labels = corpus()
    return TextClassifier.fit(texts, labels)


# -- text ------------------------------------------------------------------------------------
def test_tokenize_removes_stop_words_and_punctuation() -> None:
    tokens = tx.tokenize("A市西湖建筑集团占道施工有安全隐患，请尽快整改！")
    assert "，" not in tokens and "！" not in tokens and "A" not in tokens
    assert "安全隐患" in tokens and "施工" in tokens


def test_raw_and_segmented_forms_give_the_same_tokens() -> None:
    raw = "投诉小区物业违规收停车费\n尊敬的领导：小区物业未经业主同意收取停车费。"
    segmented = " ".join(tx.tokenize(raw))
    assert tx.is_segmented(segmented)
    assert not tx.is_segmented(raw)
    assert tx.tokenize(segmented) == tx.tokenize(raw)


def test_excel_carriage_returns_and_control_characters_are_cleaned() -> None:
    assert tx.tokenize("停车费_x000D_\x07收费") == tx.tokenize("停车费 收费")


def test_empty_and_none_texts() -> None:
    assert tx.tokenize(None) == [] and tx.tokenize("") == [] and tx.tokenize("，。！") == []


# -- features --------------------------------------------------------------------------------
chinese = st.text(alphabet="的小区物业停车费学校公交路口收费问题", min_size=0, max_size=30)


@settings(max_examples=40, deadline=None)
@given(st.lists(chinese, min_size=1, max_size=12))
def test_char_block_matches_scikit_learn(texts: list[str]) -> None:
    """The integer-key n-grams give exactly scikit-learn's sublinear TF-IDF (up to column order)."""
    docs = [tx.as_document(list(t)) for t in texts]
    block = ft.fit_block("char", docs, (1, 3), min_df=1)
    ours = ft.transform_block(block, docs).toarray()
    if not any(t for t in texts):
        assert ours.shape[1] == 0
        return
    sk = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, lowercase=False)
    theirs = sk.fit_transform(list(texts)).toarray()
    order = np.argsort([_char_key(term) for term in sk.get_feature_names_out()])
    np.testing.assert_allclose(ours, theirs[:, order], rtol=1e-6, atol=1e-7)


def _char_key(term: str) -> int:
    key = 0
    for ch in term:
        key = (key << ft.CHAR_BITS) | ord(ch)
    return key


def test_word_bigrams_do_not_cross_documents() -> None:
    docs = ["小区 物业", "停车 收费"]
    words = ft.fit_words(docs, 1)
    block = ft.fit_block("word", docs, (1, 2), 1, words)
    assert block.size == 6  # 4 words + 2 bigrams, no "物业 停车"


# -- classifier ------------------------------------------------------------------------------
def test_fit_predict_and_top_k(small_model: TextClassifier) -> None:
    assert small_model.classes == sorted(TOPICS)
    assert small_model.predict(["小区物业又乱收停车费了"]) == ["城乡建设"]
    assert small_model.predict(["学校暑假违规补课"]) == ["教育文体"]
    ranked = small_model.top_k(["路口红绿灯太短，公交也不来"], k=3)[0]
    assert next(c for c, _p in ranked) == "交通运输"
    probs = [p for _c, p in ranked]
    assert probs == sorted(probs, reverse=True)
    assert sum(probs) == pytest.approx(1.0)


def test_probabilities_sum_to_one_and_empty_text_is_uncertain(small_model: TextClassifier) -> None:
    docs = prepare(["", "物业", "学校补课收费问题"])
    proba = small_model.predict_proba(docs)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert proba[0].max() < proba[2].max()


def test_suggest_fills_department(small_model: TextClassifier) -> None:
    out = suggest(
        small_model, "小区电梯故障", "电梯经常停运", k=2, departments={"城乡建设": "住建局"}
    )
    assert len(out) == 2
    assert out[0].category == "城乡建设" and out[0].department == "住建局"
    assert out[0].confidence >= out[1].confidence
    assert out[1].department is None


def test_fit_rejects_bad_training_data() -> None:
    with pytest.raises(Invalid):
        TextClassifier.fit(["a", "b"], ["x", "x"])
    with pytest.raises(Invalid):
        TextClassifier.fit(["小区物业", "学校补课", "公交"], ["x", "x", "y"])
    with pytest.raises(Invalid):
        TextClassifier.fit(["，", "。", "！", "？"], ["x", "x", "y", "y"])


def test_out_of_fold_predictions_are_kept(small_model: TextClassifier) -> None:
    _texts, labels = corpus()
    assert small_model.oof_predictions is not None
    assert len(small_model.oof_predictions) == len(labels)


def test_unsupported_ngram_lengths_are_refused() -> None:
    texts, labels = corpus(2)
    for params in (ClassifierParams(char_ngrams=(1, 4)), ClassifierParams(word_ngrams=(1, 3))):
        with pytest.raises(Invalid):
            TextClassifier.fit(texts, labels, params)


def test_negative_nb_smoothing_is_refused() -> None:
    texts, labels = corpus(2)
    with pytest.raises(Invalid):
        TextClassifier.fit(texts, labels, ClassifierParams(nb_alpha=-0.1))


def test_nb_scale_favours_telling_features() -> None:
    # Column 0 occurs only in class a, column 1 evenly in both, column 2 mostly in b.
    x = sparse.csr_matrix(
        np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.1], [0.0, 1.0, 1.0], [0.0, 1.0, 1.0]])
    )
    y = np.array(["a", "a", "b", "b"])
    scale = _nb_scale(x, y, 0.1)
    assert scale.shape == (3,)
    assert scale[1] < 0.1 < scale[2] < scale[0]
    np.testing.assert_array_equal(_nb_scale(x, y, 0.0), np.ones(3))


def test_nb_scaling_is_folded_into_the_weights(small_model: TextClassifier) -> None:
    """Prediction is one sparse product: the scaling lives in ``coef``, no extra step."""
    texts, labels = corpus()
    plain = TextClassifier.fit(texts, labels, ClassifierParams(nb_alpha=0.0))
    assert small_model.params.nb_alpha > 0
    assert small_model.coef.shape == plain.coef.shape
    assert not np.allclose(small_model.coef, plain.coef)
    docs = prepare(["小区物业乱收费", "公交不准时", "学校补课"])
    assert small_model.predict(docs, prepared=True) == ["城乡建设", "交通运输", "教育文体"]
    assert plain.predict(docs, prepared=True) == ["城乡建设", "交通运输", "教育文体"]


def test_params_from_an_older_model_file_get_defaults() -> None:
    """Files written before ``nb_alpha`` existed still load (their weights need no scaling)."""
    old = ClassifierParams().to_dict()
    del old["nb_alpha"]
    assert ClassifierParams.from_dict(old).nb_alpha == ClassifierParams().nb_alpha


def test_params_round_trip() -> None:
    p = ClassifierParams(c=0.5, char_ngrams=(2, 3))
    assert ClassifierParams.from_dict(json.loads(json.dumps(p.to_dict()))) == p


# -- model files -----------------------------------------------------------------------------
def test_model_file_round_trip_predicts_identically(
    small_model: TextClassifier, tmp_path: Path
) -> None:
    texts, labels = corpus()
    meta = ms.new_meta(small_model, prepare(texts), labels, metrics={"macro_f1": 1.0})
    path = ms.save_model(small_model, meta, tmp_path / "m.cgm")
    loaded, meta2 = ms.load_model(path)
    assert meta2.version == meta.version and meta2.classes == small_model.classes
    assert meta2.data_sha256 == ms.data_hash(prepare(texts), labels)
    assert meta2.libraries["numpy"] == np.__version__
    probe = ["小区物业乱收费", "公交不准时", "学校补课", "完全无关的话"]
    np.testing.assert_array_equal(
        loaded.predict_proba(prepare(probe)), small_model.predict_proba(prepare(probe))
    )


def test_data_hash_ignores_row_order_but_not_labels() -> None:
    assert ms.data_hash(["a", "b"], ["x", "y"]) == ms.data_hash(["b", "a"], ["y", "x"])
    assert ms.data_hash(["a", "b"], ["x", "y"]) != ms.data_hash(["a", "b"], ["y", "x"])


def _rewrite(src: Path, dst: Path, change: dict[str, bytes | None]) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        names = set(zin.namelist()) | set(change)
        for name in sorted(names):
            data = change.get(name, zin.read(name) if name in zin.namelist() else None)
            if data is not None:
                zout.writestr(name, data)
    return dst


def test_loading_refuses_tampered_files(small_model: TextClassifier, tmp_path: Path) -> None:
    texts, labels = corpus()
    good = ms.save_model(small_model, ms.new_meta(small_model, texts, labels), tmp_path / "g.cgm")
    with zipfile.ZipFile(good) as zf:
        meta = json.loads(zf.read("meta.json"))
        arrays = dict(np.load(io.BytesIO(zf.read("arrays.npz"))))
    cases: list[dict[str, bytes | None]] = [
        {"payload.pkl": b"cos\nsystem\n"},  # an extra member
        {"words.json": None},  # a missing member
        {"meta.json": json.dumps({**meta, "format_version": 99}).encode()},
        {"meta.json": json.dumps({**meta, "classes": ["a", "b"]}).encode()},
        {"meta.json": b"not json"},
        {"words.json": b'{"a": 1}'},
    ]
    buf = io.BytesIO()
    np.savez(buf, **{**arrays, "coef": arrays["coef"][:, :-1]})
    cases.append({"arrays.npz": buf.getvalue()})
    buf = io.BytesIO()
    np.savez(buf, **{**arrays, "char_keys": arrays["char_keys"][::-1].copy()})
    cases.append({"arrays.npz": buf.getvalue()})
    buf = io.BytesIO()
    np.savez(buf, **{**arrays, "coef": np.array([object()] * 3, dtype=object)})
    cases.append({"arrays.npz": buf.getvalue()})
    for k, change in enumerate(cases):
        bad = _rewrite(good, tmp_path / f"bad{k}.cgm", change)
        with pytest.raises(Invalid):
            ms.load_model(bad)
    (tmp_path / "junk.cgm").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(Invalid):
        ms.load_model(tmp_path / "junk.cgm")
    with pytest.raises(NotFound):
        ms.load_model(tmp_path / "absent.cgm")


def test_store_keeps_versions_and_rolls_back(small_model: TextClassifier, tmp_path: Path) -> None:
    store = ms.ModelStore(tmp_path)
    texts, labels = corpus()
    m1 = ms.new_meta(small_model, texts, labels)
    m2 = ms.new_meta(small_model, texts[:-3], labels[:-3])
    m2.version = m2.version[:-8] + ("0" * 8 if m1.version[-8:] != "0" * 8 else "1" * 8)
    store.save("messages", small_model, m1)
    store.save("messages", small_model, m2)
    assert store.latest_version("messages") == m2.version
    assert [m.version for m in store.versions("messages")] == sorted([m1.version, m2.version])
    store.set_latest("messages", m1.version)
    assert store.load("messages")[1].data_sha256 == m1.data_sha256
    with pytest.raises(Invalid):
        store.save("../evil", small_model, m1)
    with pytest.raises(NotFound):
        store.load("nothing")


def test_two_classes_work_and_round_trip(tmp_path: Path) -> None:
    texts, labels = corpus()
    keep = [i for i, label in enumerate(labels) if label != "交通运输"]
    model = TextClassifier.fit([texts[i] for i in keep], [labels[i] for i in keep])
    assert model.coef.shape[0] == 2 and model.cal_coef.shape == (2, 2)
    assert model.predict(["学校补课收费", "小区物业乱收费"]) == ["教育文体", "城乡建设"]
    proba = model.predict_proba(prepare(["学校补课收费"]))
    assert proba.shape == (1, 2) and proba[0, 1] > 0.5
    meta = ms.new_meta(model, [texts[i] for i in keep], [labels[i] for i in keep])
    loaded, _meta = ms.load_model(ms.save_model(model, meta, tmp_path / "two.cgm"))
    np.testing.assert_array_equal(
        loaded.predict_proba(prepare(["学校"])), model.predict_proba(prepare(["学校"]))
    )

"""模型库 — versioned text-classifier files with metadata, loaded without unpickling.

A model file is a zip archive holding exactly three members:

- ``meta.json``: format and version, creation time, SHA-256 of the training data, sample and
  class counts, parameters, measured metrics, and the versions of the libraries that built it;
- ``words.json``: the word list (JSON array of strings);
- ``arrays.npz``: numeric arrays only, read with ``allow_pickle=False``.

Nothing in the file is executed on load (unlike pickle/joblib), and every shape is checked
before the model is used, so a corrupt or hostile file gives a clear ``Invalid`` error.

``ModelStore`` keeps versions side by side under ``<data_dir>/models/<name>/<version>.cgm`` with a
``LATEST`` pointer, so a retrained model can be compared with (and rolled back to) the previous.
"""

from __future__ import annotations

import hashlib
import io
import json
import platform
import re
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np

from civicgrid.errors import Invalid, NotFound
from civicgrid.intel import features as ft
from civicgrid.intel.classifier import ClassifierParams, TextClassifier
from civicgrid.kit.i18n import _
from civicgrid.kit.timeutil import utcnow

FORMAT = "civicgrid-text-classifier"
FORMAT_VERSION = 1
MEMBERS = frozenset({"meta.json", "words.json", "arrays.npz"})
MAX_UNCOMPRESSED = 1 << 30  # 1 GiB: far above a real model (~30 MB), far below a zip bomb
SUFFIX = ".cgm"
_VERSION_RE = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$")
LIBRARIES = ("civicgrid", "numpy", "scipy", "scikit-learn", "rjieba")


@dataclass
class ModelMeta:
    """What a model file says about itself."""

    version: str
    created_at: str
    data_sha256: str
    n_samples: int
    classes: list[str]
    class_counts: dict[str, int]
    params: dict[str, Any]
    metrics: dict[str, Any] = field(default_factory=dict)
    libraries: dict[str, str] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelMeta:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        try:
            return cls(**known)
        except TypeError as exc:
            raise Invalid(_("模型元数据不完整：{e}").format(e=exc)) from exc


def data_hash(docs: Sequence[str], labels: Sequence[str]) -> str:
    """SHA-256 of the training set, independent of row order."""
    lines = sorted(f"{label}\t{doc}" for doc, label in zip(docs, labels, strict=True))
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def new_meta(
    model: TextClassifier,
    docs: Sequence[str],
    labels: Sequence[str],
    *,
    metrics: dict[str, Any] | None = None,
    source: dict[str, Any] | None = None,
) -> ModelMeta:
    """Metadata for a freshly trained model (the version is creation time + data hash)."""
    sha = data_hash(docs, labels)
    now = utcnow()
    counts: dict[str, int] = {}
    for label in labels:
        counts[str(label)] = counts.get(str(label), 0) + 1
    return ModelMeta(
        version=f"{now:%Y%m%dT%H%M%SZ}-{sha[:8]}",
        created_at=now.isoformat(),
        data_sha256=sha,
        n_samples=len(docs),
        classes=list(model.classes),
        class_counts=counts,
        params=model.params.to_dict(),
        metrics=dict(metrics or {}),
        libraries=library_versions(),
        source=dict(source or {}),
    )


# -- file format ----------------------------------------------------------------------------
def save_model(model: TextClassifier, meta: ModelMeta, path: str | Path) -> Path:
    """Write ``model`` with ``meta`` to ``path`` (atomically: a temp file then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray[Any, Any]] = {
        "coef": model.coef.astype(np.float32),
        "intercept": model.intercept,
        "cal_coef": model.cal_coef,
        "cal_intercept": model.cal_intercept,
    }
    for name, block in model.blocks.items():
        arrays[f"{name}_keys"] = block.keys
        arrays[f"{name}_idf"] = block.idf.astype(np.float32)
        arrays[f"{name}_ngrams"] = np.asarray(block.ngrams, dtype=np.int64)
    buf = io.BytesIO()
    np.savez(buf, allow_pickle=False, **arrays)
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        zf.writestr("meta.json", json.dumps(meta.to_dict(), ensure_ascii=False, indent=2))
        zf.writestr("words.json", json.dumps(model.words.words, ensure_ascii=False))
        zf.writestr("arrays.npz", buf.getvalue())
    tmp.replace(path)
    return path


def read_meta(path: str | Path) -> ModelMeta:
    """Only the metadata of a model file (cheap: the arrays are not read)."""
    with _open_zip(Path(path)) as zf:
        return _meta(zf)


def load_model(path: str | Path) -> tuple[TextClassifier, ModelMeta]:
    """Read and validate a model file. Raises ``Invalid`` for anything unexpected."""
    with _open_zip(Path(path)) as zf:
        meta = _meta(zf)
        try:
            words = json.loads(zf.read("words.json").decode("utf-8"))
            with np.load(io.BytesIO(zf.read("arrays.npz")), allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
        except (ValueError, OSError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
            raise Invalid(_("模型文件已损坏：{e}").format(e=exc)) from exc
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise Invalid(_("模型文件已损坏：词表格式不对"))
    return _assemble(meta, words, arrays), meta


def _open_zip(path: Path) -> zipfile.ZipFile:
    if not path.is_file():
        raise NotFound(_("模型文件不存在：{p}").format(p=path))
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise Invalid(_("不是 civicgrid 模型文件：{p}").format(p=path)) from exc
    infos = zf.infolist()
    names = {i.filename for i in infos}
    if names != MEMBERS or len(infos) != len(MEMBERS):
        zf.close()
        raise Invalid(_("不是 civicgrid 模型文件：内容不符 {p}").format(p=path))
    if sum(i.file_size for i in infos) > MAX_UNCOMPRESSED:
        zf.close()
        raise Invalid(_("模型文件过大，拒绝加载：{p}").format(p=path))
    return zf


def _meta(zf: zipfile.ZipFile) -> ModelMeta:
    try:
        raw = json.loads(zf.read("meta.json").decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid(_("模型元数据无法读取：{e}").format(e=exc)) from exc
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise Invalid(_("不是 civicgrid 文本分类模型"))
    if raw.get("format_version") != FORMAT_VERSION:
        raise Invalid(
            _("模型格式版本 {v} 不受支持（需要 {w}），请重新训练").format(
                v=raw.get("format_version"), w=FORMAT_VERSION
            )
        )
    return ModelMeta.from_dict(raw)


def _array(arrays: dict[str, Any], name: str, kind: str, ndim: int) -> Any:
    value = arrays.get(name)
    if value is None or value.dtype.kind != kind or value.ndim != ndim:
        raise Invalid(_("模型文件已损坏：数组 {n} 缺失或类型不对").format(n=name))
    return value


def _assemble(meta: ModelMeta, words: list[str], arrays: dict[str, Any]) -> TextClassifier:
    params = ClassifierParams.from_dict(meta.params)
    blocks: dict[str, ft.Block] = {}
    for name in ft.BLOCK_KINDS:
        keys = _array(arrays, f"{name}_keys", "u", 1).astype(np.uint64)
        idf = _array(arrays, f"{name}_idf", "f", 1).astype(np.float64)
        ngrams = _array(arrays, f"{name}_ngrams", "i", 1)
        if keys.shape != idf.shape or ngrams.shape != (2,):
            raise Invalid(_("模型文件已损坏：特征块 {n} 尺寸不一致").format(n=name))
        try:
            ft.check_ngrams(name, (int(ngrams[0]), int(ngrams[1])))
        except ValueError as exc:
            raise Invalid(_("模型文件已损坏：{e}").format(e=exc)) from exc
        if keys.shape[0] > 1 and not bool(np.all(keys[1:] > keys[:-1])):
            raise Invalid(_("模型文件已损坏：特征块 {n} 未排序").format(n=name))
        blocks[name] = ft.Block(
            kind=name, ngrams=(int(ngrams[0]), int(ngrams[1])), keys=keys, idf=idf
        )
    coef = _array(arrays, "coef", "f", 2).astype(np.float64)
    intercept = _array(arrays, "intercept", "f", 1).astype(np.float64)
    cal_coef = _array(arrays, "cal_coef", "f", 2).astype(np.float64)
    cal_intercept = _array(arrays, "cal_intercept", "f", 1).astype(np.float64)
    n_classes = len(meta.classes)
    n_features = sum(b.size for b in blocks.values())
    if (
        n_classes < 2
        or coef.shape != (n_classes, n_features)
        or intercept.shape != (n_classes,)
        or cal_coef.shape != (n_classes, n_classes)
        or cal_intercept.shape != (n_classes,)
    ):
        raise Invalid(_("模型文件已损坏：权重尺寸与类别或特征数不一致"))
    return TextClassifier(
        params=params,
        classes=list(meta.classes),
        words=ft.WordIndex(words),
        blocks=blocks,
        coef=coef,
        intercept=intercept,
        cal_coef=cal_coef,
        cal_intercept=cal_intercept,
    )


# -- versioned store ------------------------------------------------------------------------
class ModelStore:
    """Versions of named models under one directory (``<root>/<name>/<version>.cgm``)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _dir(self, name: str) -> Path:
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", name) or name.startswith("."):
            raise Invalid(_("模型名称不合法：{n}").format(n=name))
        return self.root / name

    def save(self, name: str, model: TextClassifier, meta: ModelMeta) -> Path:
        """Store a new version and make it the latest."""
        folder = self._dir(name)
        path = save_model(model, meta, folder / f"{meta.version}{SUFFIX}")
        (folder / "LATEST").write_text(meta.version, encoding="utf-8")
        return path

    def versions(self, name: str) -> list[ModelMeta]:
        """Metadata of every stored version, oldest first."""
        folder = self._dir(name)
        if not folder.is_dir():
            return []
        return [read_meta(p) for p in sorted(folder.glob(f"*{SUFFIX}"))]

    def latest_version(self, name: str) -> str | None:
        pointer = self._dir(name) / "LATEST"
        if not pointer.is_file():
            return None
        version = pointer.read_text(encoding="utf-8").strip()
        return version if _VERSION_RE.match(version) else None

    def path(self, name: str, version: str | None = None) -> Path:
        version = version or self.latest_version(name)
        if version is None or not _VERSION_RE.match(version):
            raise NotFound(_("没有名为 {n} 的模型").format(n=name))
        return self._dir(name) / f"{version}{SUFFIX}"

    def load(self, name: str, version: str | None = None) -> tuple[TextClassifier, ModelMeta]:
        return load_model(self.path(name, version))

    def set_latest(self, name: str, version: str) -> None:
        """Roll back (or forward) to a stored version."""
        path = self.path(name, version)
        if not path.is_file():
            raise NotFound(_("模型版本不存在：{v}").format(v=version))
        (self._dir(name) / "LATEST").write_text(version, encoding="utf-8")

"""Show an evaluation in the reader's language.

Indicator systems are data: the built-in templates are written in Chinese, and their texts are in
the translation catalog (extracted by ``evaluate.i18n_extract``); a system a user wrote shows as
written, since a string that is not in the catalog translates to itself. A result is computed and
stored once, in whatever language; these functions translate a copy at the edge, where it is shown.
"""

from __future__ import annotations

from civicgrid.evaluate.metrics import METRICS, render_text
from civicgrid.evaluate.schemas import EvaluationResult, SystemSummary
from civicgrid.kit.i18n import DEFAULT_LOCALE, current_locale, gettext


def _t(text: str) -> str:
    return gettext(text) if text else text


def result(original: EvaluationResult) -> EvaluationResult:
    """A copy of ``original`` with system, indicator and count texts in the current language."""
    if current_locale.get() == DEFAULT_LOCALE:
        return original
    out = original.model_copy(deep=True)
    out.system_title = _t(out.system_title)
    metric_of = {}
    for info in out.indicators:
        info.name = _t(info.name)
        info.description = _t(info.description)
        info.formula = _t(info.formula)
        if info.metric in METRICS:
            metric_of[info.key] = METRICS[info.metric]
    for ahp in out.ahp:
        ahp.parent_name = _t(ahp.parent_name)
        ahp.labels = [_t(label) for label in ahp.labels]
    for entity in out.entities:
        for key, value in entity.values.items():
            for count in value.counts:
                count.label = _t(count.label)
            metric = metric_of.get(key)
            if metric is not None and value.counts:
                value.text = render_text(metric, {c.key: c.value for c in value.counts})
            else:
                value.text = _t(value.text)
    return out


def summary(original: SystemSummary) -> SystemSummary:
    """A system's title and description in the current language."""
    if current_locale.get() == DEFAULT_LOCALE:
        return original
    return original.model_copy(
        update={"title": _t(original.title), "description": _t(original.description)}
    )

"""Extension points of ``civicgrid demo``: steps that run after the city is generated.

A step is a function ``(session, summary) -> None`` that runs in the demo's transaction. Steps of
kind ``"build"`` run once, right after a new city was generated (train the text classifier, seal
the ledger …); steps of kind ``"start"`` run at every start of the demo, also when an existing city
is reused (print the demo accounts …). A step may append lines to ``summary.messages``; the CLI
prints them after the summary.

Add a step of your domain with ONE entry in ``STEPS`` (a dotted path, imported only when the demo
runs, so this module stays light and no import cycle appears):

    Step("accounts", "civicgrid.auth.demo:create_demo_accounts", "演示账号", when="start"),

or at run time (plugins, tests) with ``register(Step(...))``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from civicgrid.demo.generator import CitySummary

StepFunc = Callable[[Session, CitySummary], None]
When = Literal["build", "start"]


@dataclass(frozen=True)
class Step:
    name: str
    target: str | StepFunc  # "package.module:function" or the function itself
    label: str
    when: When = "build"

    def resolve(self) -> StepFunc:
        if callable(self.target):
            return self.target
        module, _sep, attr = self.target.partition(":")
        func: StepFunc = getattr(importlib.import_module(module), attr)
        return func


# One line per domain; order matters (a later step may rely on an earlier one).
STEPS: list[Step] = [
    Step("accounts", "civicgrid.auth.demo:demo_accounts_step", "演示账号", when="start"),
    Step("routing-model", "civicgrid.intel.demo_step:train_routing_model", "训练留言分类模型"),
]


def register(step: Step) -> None:
    """Add a step (replacing a step of the same name)."""
    STEPS[:] = [s for s in STEPS if s.name != step.name]
    STEPS.append(step)


def unregister(name: str) -> None:
    STEPS[:] = [s for s in STEPS if s.name != name]


def steps_for(when: When) -> list[Step]:
    return [s for s in STEPS if s.when == when]


def run_steps(
    session: Session,
    summary: CitySummary,
    when: When,
    *,
    on_step: Callable[[Step], None] | None = None,
    steps: Iterable[Step] | None = None,
) -> list[str]:
    """Run the steps of one kind in order; returns their names."""
    ran: list[str] = []
    for step in steps if steps is not None else steps_for(when):
        if on_step:
            on_step(step)
        step.resolve()(session, summary)
        session.flush()
        ran.append(step.name)
    return ran

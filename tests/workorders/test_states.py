"""The transition table, tested without a database."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from civicgrid.workorders import states
from civicgrid.workorders.states import Action, Role, State


def test_every_state_is_reachable_from_reported() -> None:
    assert states.reachable_from(State.REPORTED) == set(State)


def test_terminal_states_have_no_exits() -> None:
    for state in states.TERMINAL:
        assert states.all_actions(state) == []


def test_every_non_terminal_state_can_reach_a_terminal_one() -> None:
    for state in set(State) - states.TERMINAL:
        assert states.reachable_from(state) & states.TERMINAL, state


def test_returns_and_reopens_need_reasons_and_are_counted() -> None:
    t = states.find(State.DISPATCHED, Action.RETURN)
    assert t is not None
    assert t.needs_reason
    assert t.counts_as == "returns"
    t = states.find(State.REPLIED, Action.REOPEN)
    assert t is not None
    assert t.needs_reason
    assert t.counts_as == "reopens"


def test_roles_see_only_their_actions() -> None:
    assert states.allowed_actions(State.REPLIED, {Role.RESIDENT}) == [Action.CONFIRM, Action.REOPEN]
    assert states.allowed_actions(State.DISPATCHED, {Role.RESIDENT}) == []
    assert Action.ACCEPT in states.allowed_actions(State.DISPATCHED, {Role.DEPARTMENT_HANDLER})
    assert Action.ACCEPT not in states.allowed_actions(State.DISPATCHED, {Role.DISPATCHER})


def test_mermaid_lists_every_row() -> None:
    diagram = states.mermaid()
    assert diagram.count("-->") == len(states.TRANSITIONS) + 1 + len(states.TERMINAL)


@given(st.lists(st.tuples(st.sampled_from(list(Action)), st.sampled_from(list(Role))), max_size=60))
def test_random_walks_stay_defined(moves: list[tuple[Action, Role]]) -> None:
    state = State.REPORTED
    for action, role in moves:
        t = states.find(state, action)
        if t is None or role not in t.roles:
            assert action not in states.allowed_actions(state, {role})
            continue
        assert action in states.allowed_actions(state, {role})
        state = t.target
        assert state in State

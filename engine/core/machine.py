"""The machine adapter: the only importer of ``transitions``.

The machine only *decides*: may this event fire from this state, and where does it lead?
transitions changes state before ``on_enter``/``after`` callbacks run and never rolls back
when they raise, so no callback here has a side effect; every write happens afterwards,
in the service's one atomic advance. ``auto_transitions=False`` (the default adds
``to_<state>()`` jumps that skip every condition), and every condition is a callable built
here from the parsed definition, never a string from YAML (transitions would import it).

A machine is built per decision (~0.1 ms): one shared machine holding every case costs
memory per case and slows as it grows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from transitions import Machine, MachineError
from transitions.extensions.diagrams import GraphMachine

from engine.core import rules
from engine.core.definitions import ANY, Event, Workflow
from engine.errors import TransitionNotAllowed


class _Case:
    """The model transitions moves: just a state and the values conditions read."""

    def __init__(self, values: Mapping[str, Any], facts: rules.Facts | None) -> None:
        self.values = values
        self.facts = facts
        self.refused: list[str] = []


def _sources(workflow: Workflow, event: Event) -> list[tuple[str, Any]]:
    out = []
    for source in event.sources:
        if source.state == ANY:
            out += [(n, source.when) for n, s in workflow.states.items() if not s.terminal]
        else:
            out.append((source.state, source.when))
    return out


def _build(workflow: Workflow, state: str, model: _Case, with_guards: bool,
           machine_class: type[Machine] = Machine, **options: Any) -> Machine:
    machine = machine_class(model=model, states=list(workflow.states), initial=state,
                            auto_transitions=False, send_event=False, **options)
    for event in workflow.events.values():
        guards = [(g.name, g.arg) for g in event.guards]
        for source, source_when in _sources(workflow, event):
            for target in event.targets:
                if target.source and target.source != source:
                    continue  # this target is one step up from another state
                conditions: list[Any] = [
                    lambda sw=source_when: not sw or sw.holds(model.values),
                    lambda tw=target.when: not tw or tw.holds(model.values),
                ]
                if with_guards and guards:
                    conditions.append(lambda g=guards: _guards_allow(model, g))
                machine.add_transition(event.name, source, target.state, conditions=conditions)
    return machine


def _guards_allow(model: _Case, guards: list[tuple[str, Any]]) -> bool:
    assert model.facts is not None
    model.refused = rules.refusals(guards, model.facts)
    return not model.refused


def decide(workflow: Workflow, state: str, event: str, values: Mapping[str, Any],
           facts: rules.Facts) -> str:
    """The state ``event`` leads to from ``state``; TransitionNotAllowed if it may not fire.

    ``values`` are the case's fields with the event's own fields merged in.
    """
    if event not in workflow.events:
        raise TransitionNotAllowed(f"workflow '{workflow.name}' has no event '{event}'")
    model = _Case(values, facts)
    _build(workflow, state, model, with_guards=True)
    try:
        fired = model.trigger(event)  # type: ignore[attr-defined]
    except MachineError:
        fired = False
    if not fired:
        why = "; ".join(model.refused) or f"not allowed while the case is '{state}'"
        raise TransitionNotAllowed(f"'{event}' {why}")
    return str(model.state)  # type: ignore[attr-defined]


def possible(workflow: Workflow, state: str, values: Mapping[str, Any]) -> list[str]:
    """Events that may fire from ``state`` given the case's fields (before any new input)."""
    model = _Case(values, None)
    machine = _build(workflow, state, model, with_guards=False)
    return [name for name in workflow.events
            if machine.get_transitions(name, source=state)
            and model.may_trigger(name)]  # type: ignore[attr-defined]


def diagram(workflow: Workflow) -> str:
    """A Mermaid state diagram drawn from the same definition the engine runs."""
    first = next(t.state for t in workflow.opening.targets if t.state)
    model = _Case({}, None)
    machine = _build(workflow, first, model, with_guards=False, machine_class=GraphMachine,
                     graph_engine="mermaid", title=workflow.title, show_conditions=False)
    graph = str(machine.get_graph().draw(None)).strip() + "\n"  # type: ignore[attr-defined]
    # transitions writes the title as bare front matter ("---\nTitle\n---"); Mermaid reads
    # front matter as YAML settings and wants the key: "title: ...".
    return graph.replace(f"---\n{workflow.title}\n---",
                         f"---\ntitle: {json.dumps(workflow.title, ensure_ascii=False)}\n---", 1)

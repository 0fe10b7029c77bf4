"""Decide which notebooks run, and say why, without touching the disk or the clock.

`plan` compares each step's record in the state (what it read and wrote last time) with the
world as it is now. A step runs when it is forced, has no record, its notebook, parameters,
package code or inputs changed, or an output it wrote is missing or differs from what it
wrote. A step downstream of one that runs "may run": the runner plans again after each stage,
with the hashes that stage produced.
"""

from dataclasses import dataclass

from entitylist.engine.globs import matches, overlaps
from entitylist.engine.pipeline import Step, World

RUN, SKIP, MAYBE = "run", "skip", "may run"
SHOWN = 3  # file names listed in a reason before "and N more"


@dataclass(frozen=True)
class Decision:
    """What the plan does with one step, why, and which of its outputs were edited by hand."""

    step: str
    action: str
    reason: str
    edited: tuple[str, ...] = ()


def covered(globs: tuple[str, ...], world: World) -> dict[str, str]:
    """The files of a world that any of the globs (reads or writes) covers, with their hashes."""
    return {
        path: digest
        for path, digest in world.files.items()
        if any(matches(g, path) for g in globs)
    }


def inputs(step: Step, world: World) -> dict[str, str]:
    """The files a step reads, with their hashes."""
    return covered(step.reads, world)


def outputs(step: Step, world: World) -> dict[str, str]:
    """The files a step's writes cover, with their hashes."""
    return covered(step.outputs, world)


def record(step: Step, world: World) -> dict:
    """The state entry for a step that has just run in this world."""
    return {
        "notebook": world.notebooks[step.notebook],
        "code": world.code,
        "params": world.params[step.id],
        "inputs": inputs(step, world),
        "outputs": outputs(step, world),
    }


def listed(label: str, names: list[str]) -> str:
    """Name up to a few files after a label, counting the rest."""
    names = sorted(names)
    more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""  # pragma: no mutate
    return f"{label}: {', '.join(names[:SHOWN])}{more}"


def changed_inputs(before: dict[str, str], now: dict[str, str]) -> list[str]:
    """Input files added, removed or changed since the step last ran."""
    return [p for p in sorted(before.keys() | now.keys()) if before.get(p) != now.get(p)]


def reasons(step: Step, entry: dict | None, world: World, pending: list[str]) -> list[str]:
    """Why a step's notebook, parameters, code or inputs say it must run (empty if not).

    Inputs that match `pending` (outputs of upstream steps that will run) do not count:
    they will be rewritten, and the step is planned again once they are.
    """
    if entry is None:
        return ["no state"]
    why = []
    if entry.get("notebook") != world.notebooks[step.notebook]:
        why.append(f"notebook changed: {step.notebook}")
    if entry.get("params") != world.params[step.id]:
        old, new = entry.get("params") or {}, world.params[step.id]
        names = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        why.append(listed("parameters changed", names))
    if entry.get("code") != world.code:
        why.append("package code changed")
    changed = [
        path
        for path in changed_inputs(entry.get("inputs", {}), inputs(step, world))
        if not any(matches(output, path) for output in pending)
    ]
    if changed:
        why.append(listed("inputs changed", changed))
    return why


def damage(entry: dict | None, world: World) -> tuple[list[str], tuple[str, ...]]:
    """Why a step's last outputs must be rebuilt (missing, edited by hand), and the edited."""
    recorded = (entry or {}).get("outputs", {})
    missing = [p for p in recorded if p not in world.files]
    edited = tuple(sorted(p for p in recorded if world.files.get(p, recorded[p]) != recorded[p]))
    why = []
    if missing:
        why.append(listed("output missing", missing))
    if edited:
        why.append(listed("output edited by hand", list(edited)))
    return why, edited


def plan(
    steps: list[Step],
    state: dict,
    world: World,
    force: bool = False,
    selected: set[str] | None = None,
) -> list[Decision]:
    """Decide, for every step in stage order, whether it runs, and why.

    Steps outside `selected` (--only) run only to rebuild an output that is missing or was
    edited, because an output that is not what its notebook wrote is never published.
    """
    decisions: list[Decision] = []
    upstream: list[Step] = []
    for step in sorted(steps, key=lambda s: (s.stage, s.id)):
        chosen = selected is None or step.id in selected
        earlier = [up for up in upstream if up.stage < step.stage]
        pending = [output for up in earlier for output in up.outputs]
        entry = state.get("steps", {}).get(step.id)
        damaged, edited = damage(entry, world)
        if chosen and force:
            why = ["forced"]
        elif chosen:
            why = reasons(step, entry, world, pending) + damaged
        else:
            why = damaged
        source = next(
            (up for up in earlier if any(overlaps(r, w) for r in step.reads for w in up.outputs)),
            None,
        )
        if why:
            decisions.append(Decision(step.id, RUN, "; ".join(why), edited))
            upstream.append(step)
        elif chosen and source:
            decisions.append(Decision(step.id, MAYBE, f"upstream {source.id} runs", edited))
            upstream.append(step)
        else:
            decisions.append(Decision(step.id, SKIP, "up to date" if chosen else "not selected"))
    return decisions


def disowned(step: Step, steps: list[Step], records: dict) -> list[str]:
    """What a step wrote last time and must clear before it runs: what no other step writes now."""
    others = [w for s in steps if s.id != step.id for w in s.outputs]
    return [
        path
        for path in records.get(step.id, {}).get("outputs", {})
        if not any(matches(w, path) for w in others)
    ]


def undeclared(before: dict[str, str], after: dict[str, str], ran: list[Step]) -> dict[str, list]:
    """Files a stage added, changed or removed that none of its steps declares in `writes`."""
    touched = [p for p in sorted(before.keys() | after.keys()) if before.get(p) != after.get(p)]
    return {
        path: [s.id for s in ran]
        for path in touched
        if not any(matches(w, path) for s in ran for w in s.outputs)
    }

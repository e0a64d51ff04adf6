"""The randomized fault suite: the protocol's promises, checked for every client after a run of faults.

Short form (the default suite): SHORT_SEEDS, SHORT_DURATION seconds each. Long form, before a
release: ``--fault-seeds 1-20 --fault-duration 60`` (docs/testing.md).
"""

from collections import Counter

import pytest

from support.faults.checker import check
from support.faults.scenario import reproduce_command, run_scenario

# A private PostgreSQL and redis-server of its own: deselected by -m "not postgres" and -m "not redis".
pytestmark = [pytest.mark.postgres, pytest.mark.redis]

SHORT_SEEDS = (1, 2)
SHORT_DURATION = 30.0


def seeds(option: str | None) -> list[int]:
    """Return the seeds an option names: ``7``, ``3,9`` or ``1-20``; the short form's without one."""
    if not option:
        return list(SHORT_SEEDS)
    chosen = []
    for part in option.split(","):
        first, _, last = part.partition("-")
        chosen += range(int(first), int(last or first) + 1)
    return chosen


def pytest_generate_tests(metafunc):
    if "fault_seed" in metafunc.fixturenames:
        metafunc.parametrize("fault_seed", seeds(metafunc.config.getoption("fault_seeds")))


@pytest.fixture
def fault_duration(request):
    """Return the seconds of faults of each seed: ``--fault-duration``, or the short form's."""
    return request.config.getoption("fault_duration") or SHORT_DURATION


def first_of_each_kind(violations, count=3):
    """Return the first ``count`` violations of each kind as text, with how many of that kind there were."""
    kinds = Counter(violation.kind for violation in violations)
    shown = [violation for kind in kinds for violation in [v for v in violations if v.kind == kind][:count]]
    return [f"{kinds[kind]} x {kind}" for kind in kinds] + [str(violation) for violation in shown]


def test_every_promise_holds_under_faults(fault_seed, fault_duration, tmp_path):
    """Keep every promise for every client through a seed's faults."""
    try:
        run, plan = run_scenario(fault_seed, fault_duration, tmp_path)
    except Exception as error:  # a run that cannot heal: say which seed, as a broken promise would
        raise AssertionError(
            f"seed {fault_seed}: {error}\nreproduce: {reproduce_command(fault_seed, fault_duration)}"
        ) from error
    violations = check(run)
    acked = sum(sent.acked for sent in run.sent)
    summary = f"seed {fault_seed}: {acked} messages acknowledged, {len(run.stored)} stored, faults: " + "; ".join(
        map(str, plan)
    )
    print(f"\n{summary}")
    assert not violations, "\n".join(
        [summary, f"reproduce: {reproduce_command(fault_seed, fault_duration)}", *first_of_each_kind(violations)]
    )
    assert acked >= len(run.full) + len(run.original), summary  # a run where nothing got through proves nothing

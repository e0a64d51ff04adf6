"""The fault suite's long form, the command docs/testing.md shows: run as written, for one short seed."""

import shlex
import subprocess

import pytest

from support import ROOT

# A private PostgreSQL and redis-server of its own: deselected by -m "not postgres" and -m "not redis".
pytestmark = [pytest.mark.postgres, pytest.mark.redis]

LONG_FORM = ".venv-test/bin/python -m pytest tests/faults --fault-seeds 1-20 --fault-duration 60"


def test_the_long_form_command_runs_as_written(request):
    """Run the documented long form with one seed of a few seconds instead of twenty of a minute: it runs and reports."""
    if request.config.getoption("fault_seeds"):
        pytest.skip("the long form is running: it does not run itself")
    assert LONG_FORM in (ROOT / "docs" / "testing.md").read_text()
    brief = LONG_FORM.replace("--fault-seeds 1-20", "--fault-seeds 3").replace(
        "--fault-duration 60", "--fault-duration 8"
    )
    result = subprocess.run(
        [*shlex.split(brief), "-p", "no:cacheprovider", "-q", "-s"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    assert "seed 3: " in result.stdout  # the seed's report: what was acknowledged, stored, and the faults
    assert "failed" not in result.stdout and "1 skipped" in result.stdout  # all but this test itself ran

"""The hostile-input suite: shared harness, and a count of the cases run.

``--import-mode=importlib`` gives test folders no package, so the harness is
registered here as the module ``hostile_harness`` for the test modules to import.
"""

import importlib.util
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "hostile_harness", Path(__file__).with_name("_harness.py"))
harness = importlib.util.module_from_spec(_spec)
sys.modules["hostile_harness"] = harness
_spec.loader.exec_module(harness)


def pytest_terminal_summary(terminalreporter):
    """Report how many hostile cases ran: corpus cases and hypothesis examples."""
    reports = [
        report for key in ("passed", "failed")
        for report in terminalreporter.stats.get(key, [])
        if getattr(report, "when", None) == "call" and "tests/hostile/" in report.nodeid
    ]
    if not reports:
        return
    corpus = sum("test_corpus.py" in report.nodeid for report in reports)
    terminalreporter.write_sep(
        "-", f"hostile inputs: {corpus} corpus cases, {harness.HYPOTHESIS_EXAMPLES[0]} "
        f"hypothesis examples in {len(reports) - corpus} property tests")


@pytest.fixture(autouse=True)
def close_figures():
    """Displays draw on new figures: close them, or matplotlib warns after twenty."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")

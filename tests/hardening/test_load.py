"""Load held: concurrent REST callers against a served app, every result in the history.

The same driver as ``python -m bench load`` (bench/bench_load.py), shorter; no timing
thresholds here, only correctness under load.
"""

from __future__ import annotations

import pytest

from bench.bench_load import load_graph, run_load

pytestmark = pytest.mark.slow  # twenty callers for five seconds


def test_twenty_callers_for_five_seconds_lose_nothing(daggr_home):
    report = run_load(callers=20, seconds=5, graph=load_graph("hardening load"))
    assert report["ok"] > 0
    assert report["failed"] == 0, report["failures"]
    assert report["missing_from_history"] == 0, report["missing_examples"]

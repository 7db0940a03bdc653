"""Widget tests drive the Canvas through a recording comm: every message the kernel would
send to the browser is kept, so tests assert exact messages and their sizes."""

from __future__ import annotations

import comm
import pytest

from tests.widget.widget_helpers import RecordingComm


@pytest.fixture(autouse=True)
def fake_comm(monkeypatch: pytest.MonkeyPatch) -> type[RecordingComm]:
    monkeypatch.setattr(comm, "create_comm", RecordingComm)
    return RecordingComm

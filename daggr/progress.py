"""A progress bar for runs started from code, shown only once a run takes a while."""

from __future__ import annotations

import threading
import time
from typing import Any

SHOW_AFTER = 0.5  # seconds: quick runs stay silent


class Progress:
    """Counts finished nodes; draws a tqdm bar after ``SHOW_AFTER`` seconds."""

    def __init__(self, name: str, total: int, enabled: bool = True):
        self.name = name
        self.total = total
        self.enabled = enabled
        self.done = 0
        self._begun = time.perf_counter()
        self._bar: Any = None
        self._lock = threading.Lock()

    def node_finished(self) -> None:
        with self._lock:
            self.done += 1
        self.refresh()

    def refresh(self) -> None:
        if not self.enabled:
            return
        with self._lock:
            if self._bar is None:
                if time.perf_counter() - self._begun < SHOW_AFTER:
                    return
                self._bar = _make_bar(self.name, self.total)
                if self._bar is None:
                    self.enabled = False
                    return
            self._bar.n = self.done
            self._bar.refresh()

    def close(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.n = self.done
                self._bar.close()
                self._bar = None


def _make_bar(name: str, total: int) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:  # a progress bar is a nicety, never a reason to fail a run
        return None
    return tqdm(total=total, desc=name, unit="node", leave=False)

"""A progress bar for runs started from code, shown only once a run takes a while.

Besides the count of finished nodes, the bar says where running nodes stand when they
report it (a remote app's queue position, a node's own progress): ``story: queue 3/7 ·
~12 s``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

from daggr.runtime.live import muted

SHOW_AFTER = 0.5  # seconds: quick runs stay silent
REDRAW_EVERY = 0.1  # seconds between redraws asked for by progress reports

# Bars are drawn only after SHOW_AFTER, so one lock for all of them is never contended,
# and a quick run never creates one.
_draw_lock = threading.Lock()


class Progress:
    """Draws a tqdm bar of ``done() / total`` nodes after ``SHOW_AFTER`` seconds."""

    def __init__(
        self, name: str, total: int, enabled: bool = True, done: Callable[[], int] | None = None
    ):
        self.name = name
        self.total = total
        self.enabled = enabled
        self.done = done or (lambda: 0)
        self._begun = time.perf_counter()
        # When the bar is due (perf_counter time): callers check this before refresh().
        self.show_at = self._begun + SHOW_AFTER if enabled else math.inf
        self._bar: Any = None
        self._notes: dict[str, str] = {}  # running node -> what it reports
        self._drawn = 0.0

    def note(self, node: str, text: str | None) -> None:
        """What a running node reports (None: nothing more, it finished); redrawn at most
        every ``REDRAW_EVERY`` seconds (a node in the caller's thread blocks the usual
        redraws while it runs)."""
        if not self.enabled:
            return
        if text:
            self._notes[node] = text
        else:
            self._notes.pop(node, None)
        now = time.perf_counter()
        if now >= self.show_at and now - self._drawn >= REDRAW_EVERY:
            self.refresh()

    def refresh(self) -> None:
        if not self.enabled:
            return
        with _draw_lock, muted():
            if self._bar is None:
                if time.perf_counter() - self._begun < SHOW_AFTER:
                    return
                self._bar = _make_bar(self.name, self.total)
                if self._bar is None:
                    self.enabled = False
                    self.show_at = math.inf
                    return
            self._drawn = time.perf_counter()
            self._bar.n = self.done()
            notes = "; ".join(f"{node}: {text}" for node, text in list(self._notes.items())[:3])
            if notes != getattr(self._bar, "postfix", None):
                self._bar.set_postfix_str(notes, refresh=False)
            self._bar.refresh()

    def close(self) -> None:
        if self._bar is None:
            return
        with _draw_lock, muted():
            if self._bar is not None:
                self._bar.n = self.done()
                self._bar.close()
                self._bar = None


def _make_bar(name: str, total: int) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:  # a progress bar is a nicety, never a reason to fail a run
        return None
    return tqdm(total=total, desc=name, unit="node", leave=False)

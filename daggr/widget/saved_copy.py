"""Keeping a canvas's saved copy current: what a notebook holds after a run is what a
kernel-less reader sees (:mod:`daggr.widget.static_copy` says what that is).

A notebook keeps two things of a canvas, and both used to be frozen at display time:

- the widget state. Node states travel as deltas that a live front end merges into its
  model (so JupyterLab saves them), but a notebook executed without a front end
  (``nbconvert --execute``, nbclient, papermill) saves only what the kernel sent as
  state. So where no front end has said hello, the canvas sends its whole node state
  and inputs once the changes settle: once per run or cell, never per node event.
- the display's ``text/html`` drawing, which the canvas replaces through the display id
  it was shown with (``update_display_data``), so a notebook read where widgets do not
  run shows the latest results.

Both happen at a *checkpoint*: at the end of every notebook cell (the kernel is still in
that cell, so whoever records the cell's messages records these too), and shortly after
changes made outside cells (a run started from the canvas, a selection). A display update
makes a front end render the output again (JupyterLab empties it and builds a new view,
into which the canvas moves its old one: index.ts), so while a view is live the drawing
waits for the end of the next cell rather than disturb someone working on the canvas.

Example:
    >>> from daggr import FnNode, Graph
    >>> from daggr.widget import Canvas
    >>> g = Graph("demo", nodes=[FnNode(lambda: 1, name="one")], persist_key=False)
    >>> canvas = Canvas(g)
    >>> _ = g.run(progress=False)
    >>> canvas.checkpoint()
    >>> "static copy" in canvas.static_html()
    True
"""

from __future__ import annotations

import itertools
import sys
import threading
import uuid
import weakref
from typing import Any

from daggr.widget import static_copy

SETTLE_S = 0.5  # a checkpoint this long after the last change made outside a cell
MAX_DISPLAYS = 8  # display ids of one canvas kept for updates (the latest shown)

_following: weakref.WeakSet[SavedCopy] = weakref.WeakSet()
_hooked: set[int] = set()  # ids of the IPython shells whose cells we follow
_ids = itertools.count(1)


class SavedCopy:
    """The part of :class:`~daggr.widget.canvas.Canvas` that keeps its saved copy current
    (mixed into the canvas, which provides traits, ``_lock`` and ``static_html``)."""

    def _init_saved_copy(self, keep: bool) -> None:
        self._keep_copy = keep
        self._changed = False
        self._front_end_seen = False
        self._display_ids: list[str] = []
        self._thumb_cache: dict[tuple[str, str], bytes | None] = {}
        self._drawn: str | None = None
        self._settle: threading.Timer | None = None
        if keep:
            _follow_cells(self)

    # -- display ---------------------------------------------------------------------------
    def _ipython_display_(self) -> None:
        """Shown with a display id, so that checkpoints can bring the drawing up to date."""
        from IPython.display import display

        bundle = self._repr_mimebundle_()  # type: ignore[attr-defined]
        if bundle is None:
            return
        data, metadata = bundle
        display_id = f"daggr-{uuid.uuid4().hex[:12]}-{next(_ids)}"
        with self._lock:  # type: ignore[attr-defined]
            self._display_ids = [*self._display_ids, display_id][-MAX_DISPLAYS:]
            self._drawn = data.get("text/html")
        display(data, metadata=metadata, raw=True, display_id=display_id)

    # -- change tracking -------------------------------------------------------------------------
    def _note_change(self, settle: bool = False) -> None:
        """Something the saved copy shows changed; ``settle``: checkpoint shortly unless
        a cell ends first (changes made outside cells: runs from the canvas, selections)."""
        if not self._keep_copy:
            return
        self._changed = True
        if settle and self._settle is None:
            timer = threading.Timer(SETTLE_S, self._settled)
            timer.daemon = True
            self._settle = timer
            timer.start()

    def _settled(self) -> None:
        self._settle = None
        # A display update makes a front end render the output again: never while
        # someone may be working on the canvas, only at the end of a cell.
        self.checkpoint(displays=not self._front_end_seen)

    def _note_front_end(self) -> None:
        self._front_end_seen = True

    def _stop_saved_copy(self) -> None:
        timer, self._settle = self._settle, None
        if timer is not None:
            timer.cancel()
        _following.discard(self)

    def _current_thumbnails(self) -> dict[str, dict[str, bytes]]:
        """Thumbnails of the pictures the cards show now (made once per result)."""
        return static_copy.thumbnail_set(
            self._pictures_shown(),  # type: ignore[attr-defined]
            self._picture,  # type: ignore[attr-defined]
            self._thumb_cache,
        )

    # -- checkpoint ------------------------------------------------------------------------------
    def checkpoint(self, displays: bool = True) -> None:
        """Bring the saved copy up to date now (nothing happens when nothing changed):
        thumbnails, the whole node state where no front end merges deltas, and (with
        ``displays``) the drawing of every display of this canvas."""
        if not self._keep_copy or not self._changed or self.comm is None:  # type: ignore[attr-defined]
            return
        with self._lock:  # type: ignore[attr-defined]
            self._changed = False
            thumbnails = self._current_thumbnails()
            with self.hold_sync():  # type: ignore[attr-defined]
                if thumbnails != self.thumbnails:  # type: ignore[has-type]
                    self.thumbnails = thumbnails
                if not self._front_end_seen:
                    self.send_state(["node_state", "inputs"])  # type: ignore[attr-defined]
            if not self._display_ids:
                return
            if not displays:
                self._changed = True  # the drawing waits for the next cell's end
                return
            html = self.static_html()  # type: ignore[attr-defined]
            if html == self._drawn:
                return
            self._drawn = html
            ids = list(self._display_ids)
        _update_displays(self, ids)


def _update_displays(canvas: Any, display_ids: list[str]) -> None:
    # From a cell, or from a thread after a run started on the canvas: front ends route
    # an update by its display id, whichever request it answers.
    if "IPython" not in sys.modules:
        return
    from IPython.display import update_display

    bundle = canvas._repr_mimebundle_()
    if bundle is None:
        return
    data, metadata = bundle
    for display_id in display_ids:
        update_display(data, metadata=metadata, raw=True, display_id=display_id)


def _follow_cells(canvas: SavedCopy) -> None:
    """Checkpoint ``canvas`` at the end of every cell of the IPython shell it lives in."""
    _following.add(canvas)
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or id(shell) in _hooked:
        return
    shell.events.register("post_run_cell", _after_cell)
    _hooked.add(id(shell))


def _after_cell(*_: Any) -> None:
    for canvas in list(_following):
        try:
            canvas.checkpoint()
        except Exception as exc:  # a broken copy must never break the user's cell
            print(f"daggr: the canvas's saved copy was not updated: {exc}", file=sys.stderr)

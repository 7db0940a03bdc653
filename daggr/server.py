"""The original daggr's module name for the server: ``from daggr.server import DaggrServer``
(needs ``daggr[app]``).

Example:
    >>> from daggr.server import DaggrServer
    >>> DaggrServer.__module__
    'daggr.app.daggr_server'
"""

from daggr.app.daggr_server import DaggrServer

__all__ = ["DaggrServer"]

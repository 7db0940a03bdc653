"""``python -m daggr`` is the ``daggr`` command."""

import sys

from daggr.cli import main

if __name__ == "__main__":  # importing this module (doc tools, pkgutil) runs nothing
    sys.exit(main())

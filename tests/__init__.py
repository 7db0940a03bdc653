"""daggr's test suite. A package so that every helper is imported as ``tests.<folder>.<module>``
whatever subset of folders pytest collects (see tests/test_collection.py)."""

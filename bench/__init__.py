"""daggr benchmarks: ``python -m bench`` (or ``python bench/run.py``) runs them all."""

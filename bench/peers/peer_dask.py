"""``dask.delayed`` on the scale workloads (run by _worker.py in Dask's venv).

The graph of delayed calls is built once; each run is ``dask.compute`` with the
synchronous scheduler (one thread, as daggr runs plain functions one at a time), graph
optimisation included, as a user's ``.compute()`` does it.
"""

from __future__ import annotations


def _zero() -> int:
    return 0


def _inc(x: int) -> int:
    return x + 1


def _sink(*values: int) -> int:
    return sum(values)


def build(kind: str, n: int) -> tuple:
    import dask
    from dask import delayed

    if kind == "chain":
        final = delayed(_zero)()
        for _ in range(1, n):
            final = delayed(_inc)(final)
        expected = n - 1
    elif kind == "fan":
        src = delayed(_zero)()
        final = delayed(_sink)(*[delayed(_inc)(src) for _ in range(n - 2)])
        expected = n - 2
    else:
        items = list(range(n))
        final = delayed(sum)([delayed(_inc)(x) for x in items])
        expected = n * (n + 1) // 2

    def run() -> int:
        return dask.compute(final, scheduler="sync")[0]

    return run, expected

"""Apache Hamilton's driver on the scale workloads (run by _worker.py in Hamilton's venv).

Hamilton finds a dataflow's functions in a module: each workload's functions are written
as source and made into a module. A scatter is Hamilton's ``Parallelizable`` / ``Collect``
(dynamic execution, run by its synchronous local executor).
"""

from __future__ import annotations

import sys
import types


def _module(name: str, source: str) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(source, module.__dict__)
    sys.modules[name] = module  # the driver looks functions up through their module
    return module


def build(kind: str, n: int) -> tuple:
    from hamilton import driver

    if kind == "chain":
        lines = ["def n0() -> int:\n    return 0\n"]
        lines += [
            f"def n{i}(n{i - 1}: int) -> int:\n    return n{i - 1} + 1\n" for i in range(1, n)
        ]
        module = _module(f"chain_{n}", "".join(lines))
        final, expected = f"n{n - 1}", n - 1
        dr = driver.Builder().with_modules(module).build()
    elif kind == "fan":
        k = n - 2
        lines = ["def src() -> int:\n    return 0\n"]
        lines += [f"def m{i}(src: int) -> int:\n    return src + 1\n" for i in range(k)]
        params = ", ".join(f"m{i}: int" for i in range(k))
        total = " + ".join(f"m{i}" for i in range(k))
        lines.append(f"def sink({params}) -> int:\n    return {total}\n")
        module = _module(f"fan_{n}", "".join(lines))
        final, expected = "sink", k
        dr = driver.Builder().with_modules(module).build()
    else:
        source = (
            "from hamilton.htypes import Collect, Parallelizable\n"
            f"def items() -> Parallelizable[int]:\n    yield from range({n})\n"
            "def inc(items: int) -> int:\n    return items + 1\n"
            "def total(inc: Collect[int]) -> int:\n    return sum(inc)\n"
        )
        module = _module(f"scatter_{n}", source)
        final, expected = "total", n * (n + 1) // 2
        dr = (
            driver.Builder()
            .with_modules(module)
            .enable_dynamic_execution(allow_experimental_mode=True)
            .build()
        )

    def run() -> int:
        return dr.execute([final])[final]

    return run, expected

"""A small offline workflow from a terminal: split a text into sentences, score each one
(a scatter), summarise them (a gather). The graph is the one ``daggr demo`` serves, defined
in daggr/app/demo.py.

Run it with ``python examples/quickstart.py``; run it twice to see stored results reused.
"""

from __future__ import annotations

from daggr.app.demo import graph, summary

if __name__ == "__main__":
    print(graph)
    result = graph.run()
    print(result)
    print(result[summary]["summary"])
    again = graph.run()
    print("second run reused:", again.cached)

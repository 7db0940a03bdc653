"""History, provenance, selection, staleness, sheets and SQL, on a real DuckDB file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from daggr import FileValue, FnNode, Graph, InputNode
from daggr import components as gr
from daggr.errors import GraphError, InputError


class Calls(list):
    """A call log. Functions capture it by identity: a plain list's contents would be part
    of the functions' fingerprint, and every call would change it."""


def build(calls=None, name="Story"):
    """prompt -> draft -> title."""
    calls = calls if calls is not None else Calls()

    def write(prompt, words):
        calls.append("draft")
        return f"{prompt} " * int(words)

    def name_it(text):
        calls.append("title")
        return text.split()[0].title()

    draft = FnNode(
        write, name="draft", inputs={"prompt": gr.Textbox(value="cat"), "words": gr.Number(value=2)}
    )
    title = FnNode(name_it, name="title", inputs={"text": draft.output})
    return Graph(name, nodes=[title]), draft, title


# -- persistence ---------------------------------------------------------------------------------
def test_results_persist_by_default_in_daggr_home(daggr_home):
    g, _, _ = build()
    g.run()
    g.session.results.flush()
    assert (daggr_home / "daggr.duckdb").exists()


def test_db_path_override_and_memory_only(tmp_path, monkeypatch, daggr_home):
    db = tmp_path / "elsewhere.duckdb"
    monkeypatch.setenv("DAGGR_DB_PATH", str(db))
    g, _, _ = build()
    g.run()
    g.session.results.flush()
    assert db.exists()
    monkeypatch.delenv("DAGGR_DB_PATH")
    memory = Graph("memory", nodes=[FnNode(lambda: 1, name="one")], persist_key=False)
    memory.run()
    assert not (daggr_home / "daggr.duckdb").exists()


def test_rebuilding_the_graph_in_a_new_cell_reuses_stored_results():
    calls = Calls()
    g1, _, _ = build(calls)
    g1.run()
    g2, _, _ = build(calls)  # new objects, same code: what re-running a cell does
    result = g2.run()
    assert result.status == {"draft": "cached", "title": "cached"}
    assert calls == ["draft", "title"]


def test_editing_a_function_reruns_that_node_and_what_depends_on_it():
    g1, _, _ = build()
    g1.run()
    draft = FnNode(
        lambda prompt, words: f"{prompt}!",
        name="draft",
        inputs={"prompt": gr.Textbox(value="cat"), "words": gr.Number(value=2)},
    )
    title = FnNode(
        lambda text: text.split()[0].title(), name="title", inputs={"text": draft.output}
    )
    result = Graph("Story", nodes=[title]).run()
    assert result.status == {"draft": "ok", "title": "ok"}
    assert result["title"] == {"output": "Cat!"}


SCRIPT = textwrap.dedent(
    """
    import sys, time
    from daggr import FnNode, Graph

    def slow(x):
        if len(sys.argv) > 2:
            open(sys.argv[2], "w").close()  # tells the test the quick nodes are done
        time.sleep(float(sys.argv[1]))
        return x * 2

    nodes = [FnNode(lambda: 1, name="n0")]
    for i in range(1, 6):
        nodes.append(FnNode(lambda x: x + 1, name=f"n{i}", inputs={"x": nodes[-1].output}))
    nodes.append(FnNode(slow, name="slow", inputs={"x": nodes[-1].output}))
    g = Graph("Crash test", nodes=nodes)
    result = g.run(progress=False)
    print("STATUS", sorted(set(result.status.values())), flush=True)
    """
)


def run_script(tmp_path, daggr_home, *args, wait=True):
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "DAGGR_HOME": str(daggr_home)}
    proc = subprocess.Popen(
        [sys.executable, str(script), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if wait:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        return out
    return proc


def test_a_restarted_kernel_finds_its_results(tmp_path, daggr_home):
    first = run_script(tmp_path, daggr_home, "0")
    assert "STATUS ['ok']" in first
    second = run_script(tmp_path, daggr_home, "0")
    assert "STATUS ['cached']" in second


@pytest.mark.slow  # kills a kernel subprocess
def test_a_killed_kernel_keeps_every_finished_node(tmp_path, daggr_home):
    marker = tmp_path / "slow-started"
    proc = run_script(tmp_path, daggr_home, "60", str(marker), wait=False)
    try:
        deadline = time.time() + 60
        while not marker.exists():
            assert proc.poll() is None, proc.stderr.read()
            assert time.time() < deadline, "the slow node never started"
            time.sleep(0.05)
        time.sleep(1.0)  # the store writes appended rows within a fraction of a second
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    nodes = (
        Graph("Crash test", nodes=[FnNode(lambda: 1, name="n0")])
        .history_sql("SELECT node FROM history WHERE graph_key = 'crash_test' ORDER BY seq")
        .column("node")
    )
    assert nodes == ["n0", "n1", "n2", "n3", "n4", "n5"]


@pytest.mark.slow  # two kernel processes
def test_two_kernels_share_one_database(tmp_path, daggr_home):
    script = tmp_path / "writer.py"
    script.write_text(
        textwrap.dedent(
            """
        import sys
        from daggr import FnNode, Graph
        tag = sys.argv[1]
        from daggr import components as gr
        node = FnNode(lambda i: f"{tag}-{i}", name="echo", inputs={"i": gr.Number()})
        g = Graph("Shared " + tag, nodes=[node])
        for i in range(25):
            g.run(echo__i=i, progress=False).raise_for_errors()
        g.session.results.flush()
        print("DONE", tag)
        """
        )
    )
    env = {**os.environ, "DAGGR_HOME": str(daggr_home)}
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), tag],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in "ab"
    ]
    outs = [p.communicate(timeout=180) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        assert "DONE" in out
    for tag in "ab":
        g = Graph("Shared " + tag, nodes=[FnNode(lambda i: i, name="echo", inputs={"i": 0})])
        assert [r.outputs["output"] for r in g.history("echo")] == [f"{tag}-{i}" for i in range(25)]


# -- history and selection -------------------------------------------------------------------------
def test_history_is_oldest_first_with_exact_inputs_and_provenance():
    g, draft, title = build()
    g.run(draft__prompt="dog")
    g.run(draft__prompt="owl")
    hist = draft.history
    assert [r.inputs["prompt"] for r in hist] == ["dog", "owl"]
    assert [r.outputs["output"] for r in g.history("title")] == ["Dog", "Owl"]
    assert g.history("title")[1].upstream == {"draft": hist[1].id}
    assert hist[0].duration >= 0 and hist[0].started_at > 0 and hist[0].status == "ok"


def test_select_restores_inputs_and_cascades_downstream():
    calls = Calls()
    g, draft, title = build(calls)
    g.run(draft__prompt="dog")
    g.run(draft__prompt="owl")
    g.select(draft, 0)
    assert g.session.inputs["draft__prompt"] == "dog"
    assert g.selected("title").outputs == {"output": "Dog"}
    assert all(g.staleness().nodes[n] == "fresh" for n in ("draft", "title"))
    calls.clear()
    result = g.run()
    assert calls == [] and result["title"] == {"output": "Dog"}


def test_selecting_a_downstream_result_selects_what_it_consumed():
    g, draft, title = build()
    g.run(draft__prompt="dog")
    g.run(draft__prompt="owl")
    g.select(title, 0)
    assert g.selected(draft).inputs["prompt"] == "dog"
    assert g.session.inputs["draft__prompt"] == "dog"


def test_cascade_selects_nothing_when_no_downstream_result_consumed_it():
    g, draft, _ = build()
    g.run("draft", draft__prompt="dog")  # title never consumed this draft
    g.run(draft__prompt="owl")
    g.select(draft, 0)
    assert g.selected("title") is None
    assert g.staleness().nodes["title"] == "stale"


def test_selection_errors_name_the_valid_range():
    g, draft, _ = build()
    g.run()
    with pytest.raises(IndexError, match="valid indexes are 0..0"):
        g.select(draft, 3)
    with pytest.raises(GraphError, match="Did you mean 'draft'"):
        g.select("drafts", 0)


def test_selection_survives_a_new_session():
    g, draft, _ = build()
    g.run(draft__prompt="dog")
    g.run(draft__prompt="owl")
    g.select(draft, 0)
    g.session.results.flush()
    again, _, _ = build()
    assert again.selected("draft").inputs["prompt"] == "dog"
    assert again.session.inputs["draft__prompt"] == "dog"


# -- staleness ---------------------------------------------------------------------------------------
def test_staleness_follows_inputs_and_upstream_results():
    g, _, _ = build()
    state = g.staleness()
    assert state.nodes == {"draft": "never run", "title": "never run"}
    g.run()
    state = g.staleness()
    assert state.nodes == {"draft": "fresh", "title": "fresh"}
    assert state.edges[("draft", "output", "title", "text")] is True
    g.session.set_inputs({"draft__prompt": "eel"})
    state = g.staleness()
    assert state.nodes == {"draft": "stale", "title": "stale"}
    # title consumed draft's selected result, but draft would re-run: the edge is stale
    assert state.edges[("draft", "output", "title", "text")] is False
    g.run("draft")
    state = g.staleness()
    assert state.nodes == {"draft": "fresh", "title": "stale"}
    assert state.edges[("draft", "output", "title", "text")] is False  # consumed the old draft
    g.run()
    assert g.staleness().edges[("draft", "output", "title", "text")] is True


def test_stale_means_would_rerun():
    g, _, _ = build()
    g.run()
    g.session.set_inputs({"draft__words": 3})
    stale = {n for n, s in g.staleness().nodes.items() if s == "stale"}
    executed = set(g.run().executed)
    assert stale == executed == {"draft", "title"}


def test_input_node_edges_stay_fresh_after_a_run():
    form = InputNode("form", ports={"topic": gr.Textbox(value="bees")})
    use = FnNode(lambda t: t.upper(), name="use", inputs={"t": form.topic})
    g = Graph("Form", nodes=[use])
    g.run()
    assert g.staleness().edges[("form", "topic", "use", "t")] is True
    g.run(form__topic="ants")
    assert g.staleness().nodes == {"form": "fresh", "use": "fresh"}


# -- sheets ------------------------------------------------------------------------------------------
def test_sheets_keep_their_own_inputs_and_history():
    g, draft, _ = build()
    first = g.sheet
    g.run(draft__prompt="dog")
    g.sheets.new("experiment")
    assert g.sheet == "experiment" and draft.history == []
    assert "draft__prompt" not in g.session.inputs
    g.run(draft__prompt="owl")
    g.sheet = first
    assert [r.inputs["prompt"] for r in draft.history] == ["dog"]
    assert g.session.inputs["draft__prompt"] == "dog"
    with pytest.raises(InputError, match="Did you mean 'experiment'"):
        g.sheet = "experimnt"


def test_sheet_names_never_repeat_and_delete_removes_results():
    g, _, _ = build()
    first = g.sheet
    second = g.sheets.new()
    g.run()
    g.sheets.delete(second)
    assert g.sheet == first and second not in g.sheets
    third = g.sheets.new()
    assert third not in (first, second)
    g.sheets.rename(third, "renamed")
    assert g.sheet == "renamed"
    rows = g.history_sql(
        "SELECT count(*) AS n FROM history WHERE sheet_id NOT IN (SELECT sheet_id FROM sheets)"
    ).to_dicts()
    assert rows == [{"n": 0}]


def test_one_user_cannot_see_another_users_sheets(monkeypatch):
    monkeypatch.setenv("DAGGR_USER", "alice")
    alice, _, _ = build()
    alice.sheets.new("private plans")
    alice.run()
    monkeypatch.setenv("DAGGR_USER", "bob")
    bob, draft, _ = build()
    assert "private plans" not in bob.sheets and draft.history == []
    alice_sheet = alice.session.results.sheet_id
    with pytest.raises(PermissionError):
        bob.session.sheet_store.open(alice_sheet)


# -- values -------------------------------------------------------------------------------------------
def test_files_arrays_and_objects_come_back_from_the_store(tmp_path):
    src = tmp_path / "cat.txt"
    src.write_text("meow")
    make = FnNode(
        lambda: (FileValue(str(src)), np.arange(4), {"k": (1, 2)}),
        name="make",
        outputs={"file": None, "array": None, "obj": None},
    )
    g = Graph("Values", nodes=[make])
    g.run()
    g.session.results.flush()
    again = Graph(
        "Values",
        nodes=[
            FnNode(lambda: None, name="make", outputs={"file": None, "array": None, "obj": None})
        ],
    )
    record = again.history("make")[0]
    assert isinstance(record.outputs["file"], FileValue)
    assert Path(record.outputs["file"]).read_text() == "meow"
    assert Path(record.outputs["file"]) != src  # a copy in the content-addressed store
    assert np.array_equal(record.outputs["array"], np.arange(4))


def test_sql_over_history_answers_questions_about_runs():
    g, draft, title = build()
    for prompt in ["dog", "owl", "eel"]:
        g.run(draft__prompt=prompt)
    rows = g.history_sql(
        "SELECT d.inputs->>'$.prompt' AS prompt, t.outputs->>'$.output' AS title "
        "FROM history t JOIN history d ON t.upstream->>'$.draft' = d.result_id "
        "WHERE t.node = 'title' ORDER BY t.seq"
    ).to_dicts()
    assert rows == [{"prompt": p, "title": p.title()} for p in ["dog", "owl", "eel"]]
    with pytest.raises(Exception, match="read-only|SELECT"):
        g.history_sql("DELETE FROM results")
    assert len(draft.history) == 3


def test_a_result_the_store_cannot_keep_is_a_clear_node_error():
    make = FnNode(lambda: lambda: "a function is not a value", name="make")
    after = FnNode(lambda f: f, name="after", inputs={"f": make.output})
    g = Graph("Unstorable", nodes=[after])
    result = g.run()
    assert result.status == {"make": "error", "after": "skipped"}
    assert "its result cannot be stored" in str(result.errors["make"])
    assert [r.status for r in g.history("make")] == ["error"]


def test_edited_outputs_become_the_selection_and_feed_the_next_run():
    lines = FnNode(lambda: [{"who": "A", "text": "hi"}], name="lines", outputs={"items": None})
    say = FnNode(
        lambda items: [i["text"].upper() for i in items], name="say", inputs={"items": lines.items}
    )
    g = Graph("Edits", nodes=[say])
    g.run()
    edited = g.session.override_outputs("lines", {"items": [{"who": "A", "text": "edited"}]})
    assert g.selected("lines").id == edited.id and len(g.history("lines")) == 2
    assert g.staleness().nodes["say"] == "stale"
    result = g.run()
    assert result.status["lines"] == "cached"  # the edit is kept, not recomputed
    assert result["say"] == {"output": ["EDITED"]}
    with pytest.raises(InputError, match="Did you mean 'items'"):
        g.session.override_outputs("lines", {"itemz": []})

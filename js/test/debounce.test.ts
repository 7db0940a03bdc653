import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { keyedDebounce } from "../src/debounce";

describe("keyedDebounce", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("sends only the last value of a burst, after the wait", () => {
    const sent: [string, unknown][] = [];
    const d = keyedDebounce(300, (k, v) => sent.push([k, v]));
    d.push("a", 1);
    vi.advanceTimersByTime(200);
    d.push("a", 2);
    vi.advanceTimersByTime(299);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([["a", 2]]);
  });

  it("keeps one timer per key: editing one input never delays another", () => {
    const sent: [string, unknown][] = [];
    const d = keyedDebounce(300, (k, v) => sent.push([k, v]));
    d.push("a", "x");
    vi.advanceTimersByTime(250);
    d.push("b", "y"); // a global timer would have pushed "a" back here
    vi.advanceTimersByTime(50);
    expect(sent).toEqual([["a", "x"]]);
    vi.advanceTimersByTime(250);
    expect(sent).toEqual([["a", "x"], ["b", "y"]]);
  });

  it("hands over pending values without sending them (a run carries them)", () => {
    const sent: [string, unknown][] = [];
    const d = keyedDebounce(300, (k, v) => sent.push([k, v]));
    d.push("a", 1);
    d.push("b", 2);
    expect([...d.take()]).toEqual([["a", 1], ["b", 2]]);
    expect(d.pending()).toEqual([]);
    vi.advanceTimersByTime(1000);
    expect(sent).toEqual([]);
  });

  it("flushes pending values at once (before a run starts)", () => {
    const sent: [string, unknown][] = [];
    const d = keyedDebounce(300, (k, v) => sent.push([k, v]));
    d.push("a", 1);
    d.push("b", 2);
    expect(d.pending().sort()).toEqual(["a", "b"]);
    d.flush();
    expect(sent).toEqual([["a", 1], ["b", 2]]);
    vi.advanceTimersByTime(1000);
    expect(sent).toHaveLength(2);
  });

  it("cancel drops everything pending", () => {
    const send = vi.fn();
    const d = keyedDebounce(300, send);
    d.push("a", 1);
    d.cancel();
    vi.advanceTimersByTime(1000);
    expect(send).not.toHaveBeenCalled();
  });
});

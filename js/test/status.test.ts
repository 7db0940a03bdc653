import { describe, expect, it } from "vitest";
import { statusText } from "../src/view";

describe("statusText", () => {
  it("shows live item progress while a scattered node runs", () => {
    expect(statusText({ status: "running", items_done: 12, items_total: 64 })).toBe("running 12/64");
    expect(statusText({ status: "running", items_done: 3, items_failed: 1, items_total: 8 })).toBe(
      "running 3/8 (1 failed)",
    );
  });
  it("is the status word otherwise", () => {
    expect(statusText({ status: "running" })).toBe("running");
    expect(statusText({ status: "ok", items_done: 8, items_total: 8 })).not.toContain("8/8");
    expect(statusText(undefined)).toBe("");
  });
});

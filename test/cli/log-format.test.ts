import { describe, expect, it } from "vitest";
import { formatLine } from "../../src/cli/log-format.js";

describe("--log-format text", () => {
  it("writes time, level, message and the fields as key=value, quoting values with spaces", () => {
    const line = JSON.stringify({ level: 30, time: Date.UTC(2026, 11, 2, 5, 0, 0), pid: 7, hostname: "h", controller: "proxyservice", msg: "applied object", kind: "Service", object: "sn0", note: "two words", n: 3 });
    expect(formatLine(line)).toBe('2026-12-02T05:00:00.000Z INFO  applied object controller=proxyservice kind=Service object=sn0 note="two words" n=3\n');
  });

  it("adds an error's message and indents its stack below", () => {
    const line = JSON.stringify({ level: 50, time: 0, msg: "reconcile failed", err: { message: "boom", stack: "Error: boom\n    at x" } });
    expect(formatLine(line)).toBe('1970-01-01T00:00:00.000Z ERROR reconcile failed err=boom\n    Error: boom\n        at x\n');
  });

  it("passes a line that is not JSON through", () => {
    expect(formatLine("plain")).toBe("plain\n");
  });
});

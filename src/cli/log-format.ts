import type { DestinationStream } from "pino";

const LEVELS: Record<number, string> = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };

const value = (v: unknown): string => {
  if (typeof v === "string") return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
};

/**
 * One pino JSON line as text for people (`--log-format text`): `time LEVEL message key=value ...`, then an
 * error's stack indented on the lines below. Pure; a line that is not JSON is passed through as it is.
 */
export function formatLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith("\n") ? line : `${line}\n`;
  }
  const { time, level, msg, pid: _pid, hostname: _hostname, err, ...fields } = record;
  const when = typeof time === "number" ? new Date(time).toISOString() : String(time ?? "");
  const label = (typeof level === "number" ? (LEVELS[level] ?? String(level)) : String(level ?? "")).toUpperCase();
  const parts = [when, label.padEnd(5), String(msg ?? "")];
  for (const [k, v] of Object.entries(fields)) parts.push(`${k}=${value(v)}`);
  let text = parts.join(" ");
  if (err && typeof err === "object") {
    const e = err as { message?: string; stack?: string };
    text += ` err=${value(e.message ?? "")}`;
    if (e.stack) text += `\n${e.stack.replace(/^/gm, "    ")}`;
  }
  return `${text}\n`;
}

/** A pino destination writing {@link formatLine}'s text to `out` (standard output by default). */
export function textDestination(out: { write(chunk: string): unknown } = process.stdout): DestinationStream {
  return { write: (line: string) => void out.write(formatLine(line)) };
}

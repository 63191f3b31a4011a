import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import type { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { ConditionTypes, EventReasons, Reasons } from "../../src/api/conditions.js";
import { renderCommand } from "../../src/cli/render.js";
import { restoreCommand } from "../../src/cli/restore.js";
import { runCommand } from "../../src/cli/run.js";
import { simulateCommand } from "../../src/cli/simulate.js";
import { versionCommand } from "../../src/cli/version.js";
import { OperatorMetrics } from "../../src/controller/operator-metrics.js";
import { ControllerMetrics } from "../../src/runtime/metrics.js";

// Docs are claims (STYLE.md): every file, condition or event reason, metric and command-line flag that README.md
// and docs/*.md name must exist in the code. A rename that forgets the docs fails here, naming the doc and line.

const root = path.resolve(import.meta.dirname, "../..");
const docs = ["README.md", ...readdirSync(path.join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

interface Mention {
  readonly doc: string;
  readonly line: number;
  readonly text: string;
}

/** Every match of `pattern` (its group 1, or the whole match) in every doc, with where it stands. */
function mentions(pattern: RegExp, lines: (doc: string) => readonly string[] = linesOf): Mention[] {
  return docs.flatMap((doc) =>
    lines(doc).flatMap((l, i) => [...l.matchAll(pattern)].map((m) => ({ doc, line: i + 1, text: m[1] ?? m[0] }))),
  );
}

function linesOf(doc: string): string[] {
  return readFileSync(path.join(root, doc), "utf8").split("\n");
}

/** Every metric the operator registers: the runtime's and its own, in one registry as runOperator builds it. */
function operatorRegistry(): Registry {
  const { registry } = new ControllerMetrics("proxyservice");
  new OperatorMetrics(registry);
  return registry;
}

const where = (m: Mention): string => `${m.doc}:${m.line} names ${m.text}`;

/** The cells of a Markdown table row, or undefined for a line that is not one. */
const cells = (line: string): string[] | undefined => (line.startsWith("|") ? line.split("|").slice(1, -1).map((c) => c.trim()) : undefined);

describe("the docs name only what the code has", () => {
  it("files under src/ and test/ exist", () => {
    // A glob or a placeholder (`availability*.test.ts`, `<name>.ts`) names a family of files, not one: left out.
    const named = mentions(/(?<![\w./-])((?:src|test)\/[A-Za-z0-9_./-]*[A-Za-z0-9_])(?![\w*<])/g);
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((m) => !existsSync(path.join(root, m.text))).map(where)).toEqual([]);
  });

  it("condition types and reasons, and event reasons, are in src/api/conditions.ts", () => {
    const known = new Set<string>([...Object.values(Reasons), ...Object.values(EventReasons), ...Object.values(ConditionTypes)]);
    const named: Mention[] = [];
    for (const doc of docs) {
      let reasonColumns: number[] = [];
      linesOf(doc).forEach((line, i) => {
        const row = cells(line);
        if (row === undefined) return void (reasonColumns = []);
        if (reasonColumns.length === 0 && !/^-+$/.test(row[0] ?? "")) {
          // a header: the columns that hold reasons (or condition types)
          reasonColumns = row.flatMap((c, k) => (/^(reason|event reason|advisory|status \/ reason|condition)$/i.test(c) ? [k] : []));
          if (reasonColumns.length === 0) reasonColumns = [-1];
          return;
        }
        for (const k of reasonColumns) for (const m of (row[k] ?? "").matchAll(/`([A-Z][A-Za-z]+)`/g)) named.push({ doc, line: i + 1, text: m[1]! });
      });
    }
    expect(named.length).toBeGreaterThan(15);
    expect(named.filter((m) => !known.has(m.text)).map(where)).toEqual([]);
  });

  it("every condition reason and event reason is in docs/operator.md", () => {
    const text = readFileSync(path.join(root, "docs/operator.md"), "utf8");
    const missing = [...Object.values(Reasons), ...Object.values(EventReasons)].filter((r) => !text.includes(`\`${r}\``));
    expect(missing).toEqual([]);
  });

  it("every metric the operator registers is in docs/operator.md", async () => {
    const text = readFileSync(path.join(root, "docs/operator.md"), "utf8");
    const ours = (await operatorRegistry().getMetricsAsJSON())
      .map((m) => m.name)
      .filter((n) => /^(controller_runtime|workqueue|proxy_service_operator|leader_election)_/.test(n));
    expect(ours.filter((n) => !text.includes(`\`${n}\``))).toEqual([]);
  });

  it("metrics are the operator's", async () => {
    const registered = new Set((await operatorRegistry().getMetricsAsJSON()).map((m) => m.name));
    const named = mentions(/\b((?:controller_runtime|workqueue|proxy_service_operator|leader_election)_[a-z_]*[a-z])\b/g);
    expect(named.length).toBeGreaterThan(10);
    const unknown = named.filter((m) => !registered.has(m.text.replace(/_(bucket|sum|count)$/, "")) && !m.text.endsWith("_api"));
    expect(unknown.map(where)).toEqual([]);
  });

  it("every flag shown with a proxy-service command is one of that command's", () => {
    const commands = new Map<string, Command>([runCommand(), renderCommand(), simulateCommand(), restoreCommand(), versionCommand()].map((c) => [c.name(), c]));
    const flagsOf = (name: string): Set<string> => new Set(["--help", ...(commands.get(name)?.options ?? []).map((o) => o.long ?? "")]);
    const named: Mention[] = [];
    let checked = 0;
    for (const doc of docs) {
      let block: string | undefined; // the command a code block shows, while inside one
      let inCode = false;
      linesOf(doc).forEach((line, i) => {
        if (line.trimStart().startsWith("```")) {
          inCode = !inCode;
          block = undefined;
          return;
        }
        // `proxy-service <command>` (or ./bin/proxy-service.js <command>), in a code block or a code span
        const spans = inCode ? [line] : [...line.matchAll(/`([^`]*)`/g)].map((m) => m[1] ?? "");
        for (const span of spans) {
          const invocation = /(?:^|[\s/(])proxy-service(?:\.js)? (run|render|simulate|restore|version)\b(.*)$/.exec(span);
          const command = invocation?.[1] ?? (inCode ? block : undefined);
          if (invocation !== undefined && invocation !== null && inCode) block = invocation[1];
          if (command === undefined) continue;
          const rest = invocation?.[2] ?? span;
          for (const m of rest.matchAll(/(?<![\w-])(--[a-z][a-z-]*[a-z])/g)) {
            const flag = m[1]!;
            checked++;
            if (!flagsOf(command).has(flag)) named.push({ doc, line: i + 1, text: `${command} ${flag}` });
          }
        }
      });
    }
    expect(checked).toBeGreaterThan(10);
    expect(named.map(where)).toEqual([]);
  });
});

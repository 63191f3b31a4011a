import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "vitest";

const testdata = path.resolve(import.meta.dirname, "testdata");

/**
 * Compares `actual` with testdata/<name>.golden.yaml; UPDATE_GOLDEN=1 rewrites the file instead,
 * and reviewers read the YAML diff.
 */
export function expectGolden(name: string, actual: string): void {
  const file = path.join(testdata, `${name}.golden.yaml`);
  if (process.env.UPDATE_GOLDEN === "1" || !existsSync(file)) {
    mkdirSync(testdata, { recursive: true });
    writeFileSync(file, actual);
    if (process.env.UPDATE_GOLDEN !== "1") throw new Error(`${file} did not exist and was written; check it and run again`);
    return;
  }
  expect(actual, `${file} (UPDATE_GOLDEN=1 rewrites it)`).toBe(readFileSync(file, "utf8"));
}

/** Reads a file of the repository as an input of the CLI's render. */
export function repoFile(relative: string): { name: string; text: string } {
  return { name: relative, text: readFileSync(path.resolve(import.meta.dirname, "../..", relative), "utf8") };
}

#!/usr/bin/env node
// Runs the TypeScript entry point through tsx so that a clone works without a build step;
// a packaged image runs the compiled dist/cli/main.js instead.
import { register } from "tsx/esm/api";
register();
await import("../src/cli/main.ts");

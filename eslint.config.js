import js from "@eslint/js";
import tseslint from "typescript-eslint";

// Imports point toward src/api only (see STYLE.md): render stays pure so that
// `proxy-service render` and the operator call the same function and cannot drift.
const forbid = (...groups) => ({
  "no-restricted-imports": ["error", { patterns: groups.map((g) => ({ group: [g], message: "layering: see STYLE.md" })) }],
});

export default tseslint.config(
  // hack/*.ts, hack/*.mjs and hack/release/*.ts are linted; the other folders below hack/ are Go, shell and data.
  { ignores: ["dist/**", "node_modules/**", ".local-cluster/**", "hack/*/**", "!hack/release/", "!hack/release/*.ts", "hack/release/sbom/**", "bench/results/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  // Plain-JS helpers run by node (hack/trace-summary.mjs).
  { files: ["hack/*.mjs"], languageOptions: { globals: { process: "readonly", console: "readonly" } } },
  { files: ["src/**/*.ts"], rules: { "@typescript-eslint/no-explicit-any": "error" } },
  { files: ["src/api/**/*.ts"], rules: forbid("**/render/**", "**/kube/**", "**/runtime/**", "**/controller/**", "**/sim/**", "**/cli/**") },
  { files: ["src/render/**/*.ts"], rules: forbid("**/kube/**", "**/runtime/**", "**/controller/**", "**/sim/**", "**/cli/**", "node:fs*", "fs", "node:child_process") },
  { files: ["src/kube/**/*.ts"], rules: forbid("**/render/**", "**/runtime/**", "**/controller/**", "**/sim/**", "**/cli/**") },
  // The runtime (watcher, informer, queue, worker, leader election) is generic machinery, as kube-rs's kube-runtime:
  // it knows Kubernetes (src/kube) and nothing of the ProxyService, so the reconciler can change without touching it.
  { files: ["src/runtime/**/*.ts"], rules: forbid("**/api/**", "**/render/**", "**/controller/**", "**/sim/**", "**/cli/**") },
  { files: ["src/controller/**/*.ts"], rules: forbid("**/sim/**", "**/cli/**") },
  { files: ["src/sim/**/*.ts"], rules: forbid("**/api/**", "**/render/**", "**/kube/**", "**/runtime/**", "**/controller/**", "**/cli/**") },
);

import { defineConfig } from "vitest/config";

// Three projects: `unit` is pure and needs nothing; `testbed` runs real HAProxy on loopback; `integration` talks to the real
// kube-apiserver from hack/local-cluster, which its global setup starts once per run.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: ["test/integration/**", "test/testbed/**"],
          // Pure, but some are seconds of simulation: on a shared 2-core machine they outran vitest's 5 s default.
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/integration/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        // The loopback testbed's smoke run: real HAProxy and real sockets, under 60 s.
        test: {
          name: "testbed",
          include: ["test/testbed/**/*.test.ts"],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});

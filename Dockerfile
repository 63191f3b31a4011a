# proxy-service-operator image (issue 11). Multi-stage: compile with the dev dependencies, install the
# production ones apart, and run on a distroless base: no shell and no package manager in the final
# image, a non-root user (nonroot, uid 65532), and a read-only root filesystem (the operator writes
# nothing to disk: logs go to stdout, state lives in the API server).
#
#   docker build -t registry.example.com/proxy-service-operator:0.1.0 .
#
# Both bases are arguments, pinned by tag and digest by default. hack/image.sh builds this same file
# with podman on a machine that reaches no image registry, passing the equivalent bases that
# hack/image/base.sh assembles from pinned Debian packages and the official Node.js binary.
# Every RUN is in exec form, so the build stage needs no shell either.

ARG BUILD_IMAGE=docker.io/library/node:22-bookworm-slim@sha256:43ac6c60b8f89723f746e8a92ce91abd5017e627ce1ddfe4238355d3a30b772c
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs22-debian12:nonroot@sha256:13593b7570658e8477de39e2f4a1dd25db2f836d68a0ba771251572d23bb4f8e

FROM ${BUILD_IMAGE} AS build
# Where the npm registry is reached through a TLS-inspecting proxy, its CA bundle (hack/image.sh
# passes the host's); unset otherwise. Build stages only: it never reaches the final image.
ARG NODE_EXTRA_CA_CERTS
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency's install script runs (none is needed to compile).
RUN ["node", "/usr/local/lib/node_modules/npm/bin/npm-cli.js", "ci", "--ignore-scripts", "--no-audit", "--no-fund"]
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN ["node", "node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"]

# The production dependencies only, in a stage of their own so that a source change reuses them.
FROM ${BUILD_IMAGE} AS deps
ARG NODE_EXTRA_CA_CERTS
WORKDIR /app
COPY package.json package-lock.json ./
RUN ["node", "/usr/local/lib/node_modules/npm/bin/npm-cli.js", "ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund"]
COPY hack/image/prune-node-modules.mjs /tmp/
RUN ["node", "/tmp/prune-node-modules.mjs", "node_modules"]

FROM ${RUNTIME_IMAGE}
ENV NODE_ENV=production
# Allocations of 64 KiB and more (the socket reads of list responses) get pages of their own, given back when
# freed; without it glibc raises the threshold as large blocks are freed, and the start-up's list responses
# stay resident as a fragmented heap (issue 17: 1,000 ProxyServices, 5-10 MiB less RSS; docs/operator.md "Caches").
# bench/operator reads this line and runs the operator with it.
ENV MALLOC_MMAP_THRESHOLD_=65536
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
# distroless's nonroot user, by number so that Kubernetes can check runAsNonRoot without /etc/passwd.
USER 65532:65532
EXPOSE 8080
# --max-opt=1: V8 stops at its baseline compiler (Sparkplug), without TurboFan. The operator waits on the API
# server far more than it computes, and an operator restarted against 1,000 ProxyServices then held 8-10 MiB
# less (peak 97-100 against 104-106 MiB) for 4-15 % more CPU (issue 17, docs/operator.md "Caches"). Only on
# the command line: set at run time (v8.setFlagsFromString) it turned TurboFan off but saved no memory.
# `simulate`, which computes, turns TurboFan back on for itself. bench/operator reads the flags from here.
ENTRYPOINT ["/nodejs/bin/node", "--max-opt=1", "dist/cli/main.js"]
CMD ["run"]

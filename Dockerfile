# proxy-service-operator image. Multi-stage: build with the dev dependencies, run with the
# production ones only, as a non-root user, on a read-only root filesystem (the operator writes
# nothing to disk: logs go to stdout, state lives in the API server).
#
# Build:  docker build -t msvcbench/proxy-service-operator:0.1.0 .
# (Images cannot be built on the machine this project is developed on; this file is not
# exercised by the test suite.)

ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
# The base image's unprivileged `node` user (uid 1000), by number so that Kubernetes can check
# runAsNonRoot without reading /etc/passwd.
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["run"]

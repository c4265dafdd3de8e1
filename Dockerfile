# syntax=docker/dockerfile:1
# task-execution-api: a two-stage image. The build stage has the dev dependencies (TypeScript, the
# Nest CLI) and compiles dist/; the runtime stage has the production dependencies and dist/ only,
# runs as the unprivileged `node` user and starts with the same script as `npm start`.
#
# Node: the repository pins its runtime as the devDependency `node` (24.21.0) for npm scripts; an
# image takes Node from its base instead, the official node:24 image of the same version, so the
# runtime stage needs no dev dependency for it. Keep NODE_VERSION equal to package.json's pin
# (test/unit/container-files.spec.ts checks it).
ARG NODE_VERSION=24.21.0

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json mikro-orm.config.ts ./
COPY scripts ./scripts
COPY src ./src
# Writes dist/ and its build stamp (scripts/dist-stamp.mjs), which the start script checks.
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=8080
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force \
 && mkdir .data \
 && chown node:node .data
# The build inputs travel with dist/ so that the start script can prove dist/ was built from them
# (the stamp is a hash of exactly these files); the image then starts without building.
COPY tsconfig.json tsconfig.build.json nest-cli.json mikro-orm.config.ts ./
COPY scripts ./scripts
COPY src ./src
COPY --from=build /app/dist ./dist
USER node
EXPOSE 8080
# The readiness probe: 200 only when the database answers, no migration is pending and the process
# is not draining. Node's own fetch, because the slim image has neither curl nor wget.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The same script `npm start` runs (package.json), without npm in front of it: npm as PID 1 costs
# ~50 MB of a 512 MiB limit and stands between the orchestrator's SIGTERM and the graceful drain.
# The script execs Node, so Node is PID 1 and receives SIGTERM itself.
CMD ["sh", "scripts/start.sh"]

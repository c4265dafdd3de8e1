#!/bin/sh
# The one start command: `npm start` runs it, and so does the container image (Dockerfile CMD).
# It builds dist/ only when the sources changed since the last build (scripts/dist-stamp.mjs),
# then replaces itself with the service, so signals (SIGTERM from an orchestrator) reach Node
# directly and the graceful drain runs.
set -eu
cd "$(dirname "$0")/.."

# The pinned runtime (the devDependency `node`, Node 24) when it is installed; an image built
# from node:24 has no dev dependencies and runs its own `node`, the same major version.
NODE=node
if [ -x node_modules/.bin/node ]; then NODE=node_modules/.bin/node; fi

"$NODE" scripts/dist-stamp.mjs ensure

# Memory defaults sized for a 512 MiB container (docs/performance.md, "Memory defaults"). They go
# first in NODE_OPTIONS, so an operator's own NODE_OPTIONS (later, so it wins) overrides any of
# them; cluster workers inherit them. glibc reads MALLOC_ARENA_MAX when the process starts, which
# is why it is set here and not from inside the service.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
export NODE_OPTIONS="--max-semi-space-size=32 --max-old-space-size=256${NODE_OPTIONS:+ $NODE_OPTIONS}"
exec "$NODE" dist/src/main.js

# syntax=docker/dockerfile:1
# Clinic API image: builds the TypeScript to dist/ and runs it with plain node as the `node` user.
#
#   docker build -t clinic-api .
#   docker run --env-file .env -p 3000:3000 clinic-api                  # the API (CMD)
#   docker run --env-file .env --no-healthcheck clinic-api node dist/src/worker.js   # mail worker
#   docker run --env-file .env clinic-api node dist/scripts/migrate.js deploy
#   docker run --env-file .env clinic-api node dist/scripts/create-admin.js --email E --password P
#
# The image holds built JavaScript and production dependencies only (no src/), so the
# `npm run ...` scripts, which run the .ts sources, are replaced by the `node dist/...`
# commands above. DATABASE_URL is required: the embedded database is refused when NODE_ENV=production. The HEALTHCHECK probes the HTTP
# server, so a long-running worker container turns it off (--no-healthcheck).

ARG NODE_IMAGE=node:24-slim

FROM ${NODE_IMAGE} AS base
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

# --- deps: every dependency, plus the Prisma client generated into src/generated/prisma ----
FROM base AS deps
# Only what `npm ci` and `prisma generate` read, so this layer is cached until they change.
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma/schema.prisma ./prisma/schema.prisma
COPY scripts/prisma-generate.mjs ./scripts/prisma-generate.mjs
# --ignore-scripts, then generate explicitly: the build needs no third-party install script
# (esbuild's check, argon2's prebuild probe, @prisma/engines' engine download), and the client
# is generated the same way whatever npm's install-script policy is. The script runs
# `prisma generate` offline (see scripts/prisma-generate.mjs).
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts \
 && node scripts/prisma-generate.mjs \
 && test -f src/generated/prisma/client.ts

# --- build: tsc -p tsconfig.build.json -> dist/ (fails the image on type errors), then the API
# and the worker bundled into one file each (scripts/bundle.mjs: a fifth less CPU to start) ---
FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY prisma ./prisma
COPY scripts ./scripts
RUN npm run build

# --- prod-deps: production dependencies only ----------------------------------------------
FROM base AS prod-deps
COPY package.json package-lock.json ./
# --omit=optional drops what the lock file marks devOptional: the prisma CLI and typescript
# (optional peers of @prisma/client, ~250 MB with their trees) and esbuild/rolldown binaries
# (tsx and vite, unused by `node dist/...`). Migrations need no CLI: they run on
# @prisma/schema-engine-wasm, a regular dependency.
# --ignore-scripts: the root postinstall needs the prisma CLI and its work is done in the build
# stage; argon2 loads its bundled linux-x64 glibc prebuild without running a script.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --omit=optional --ignore-scripts

# --- runtime ------------------------------------------------------------------------------
FROM base AS runtime
# Young generation of 8 MB semi-spaces (V8's default grows to 64 MB) for every node process of the
# image (the worker, migrations): a CSV export's peak stays under 50 MB over idle. The API's CMD
# sets 16 MB (the command line wins over NODE_OPTIONS): under the doctor list at 50 connections 8 MB
# promoted so much young garbage that the API used 40% more CPU and held 310-381 MB instead of
# 228-231 MB (README, Performance).
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=8 \
    HOST=0.0.0.0 \
    PORT=3000 \
    MEDIA_ROOT=/app/media
# Files stay owned by root (read-only for the app); only media/ is writable by `node`.
COPY package.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# schema.prisma and migrations/: read at runtime by MIGRATE_ON_START=true and dist/scripts/migrate.js
# (the code finds the project root by walking up to prisma/schema.prisma).
COPY prisma/schema.prisma ./prisma/schema.prisma
COPY prisma/migrations ./prisma/migrations
RUN mkdir -p /app/media && chown node:node /app/media
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node directly (not npm) so SIGTERM reaches the server and it shuts down gracefully.
CMD ["node", "--max-semi-space-size=16", "dist/src/server.js"]

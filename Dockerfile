# syntax=docker/dockerfile:1
# usage-vault in a container: the service on port 4000 with its data in the volume /data.
#
#   docker build -t usage-vault .
#   docker run -d --name usage-vault --hostname usage-vault --stop-timeout 15 \
#     -p 4000:4000 -v usage-vault-data:/data -e CLAUDE_SYNC_API_KEY=... usage-vault
#
# --hostname: the folder's lock names its holder by host and pid; a fixed name lets a new container
# take over the lock a killed one left (a container's default hostname changes with every run).
# --stop-timeout: the service may take up to 10 s to finish what it has received; Docker's default
# of 10 s would cut that short with SIGKILL.

# The current Node LTS line; the project is also tested on Node 20.
ARG NODE_VERSION=26

# ---- build: all dependencies, TypeScript compiled to dist/ ------------------------------------
FROM node:${NODE_VERSION}-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY plugins ./plugins
COPY routes ./routes
RUN npx tsc -p tsconfig.build.json

# ---- runtime: production dependencies only, as the unprivileged `node` user --------------------
FROM node:${NODE_VERSION}-trixie-slim
ENV NODE_ENV=production \
    DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=4000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY public ./public
# The volume's mount point must belong to the user the service runs as, or it cannot take the lock.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 4000

# node's own fetch, no curl in the image. `/health` answers 200 while the service can store (also
# when the data is old: an idle scraper must not get the container restarted) and 503 when it
# cannot. With TLS_CERT_FILE set the service speaks only HTTPS, to a certificate made for the host
# name, so the check skips verification of it on the loopback.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const tls = process.env.TLS_CERT_FILE !== undefined; if (tls) process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'; fetch(`${tls ? 'https' : 'http'}://127.0.0.1:${process.env.PORT}/health`, { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# The server handles SIGTERM itself (graceful close, lock released, exit 0), also as PID 1.
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/server.js"]

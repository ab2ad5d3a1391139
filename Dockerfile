# syntax=docker/dockerfile:1
# The supervisor image used by docker-compose.yml:  docker build -t temporal-supervisor .
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: compile TypeScript to dist/ ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the `prepare` script would build before the sources are copied; the build runs below.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies, dist/, configs and the sample watcher ----
FROM ${NODE_IMAGE} AS runtime
# git and pip: the update_code, rollback_code and update_code_deps handlers run them; openssh-client for
# ssh remotes. Debian's Python refuses a system-wide `pip install` (PEP 668), so pip lives in a venv that
# the supervisor user owns and that comes first on PATH. The watcher checkout is usually a mounted volume
# owned by another uid, which git refuses without the safe.directory entry.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git openssh-client python3 python3-pip python3-venv \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 supervisor \
 && useradd --system --uid 10001 --gid supervisor --create-home --home-dir /home/supervisor --shell /usr/sbin/nologin supervisor \
 && python3 -m venv /opt/venv \
 && mkdir -p /nas /srv/watcher \
 && chown -R supervisor:supervisor /opt/venv /nas /srv/watcher \
 && git config --system --add safe.directory /srv/watcher
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY config ./config
COPY examples ./examples
USER supervisor
# /metrics, /healthz, /readyz
EXPOSE 9464
# The supervisor stops the watcher gracefully (30 s) on SIGTERM; give it time: docker stop -t 45.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["start", "--config", "config/supervisor.docker.yaml"]

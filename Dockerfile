# tfo-mcp: built with every dependency, run from the esbuild bundle alone, as the non-root user node (uid 1000).
#   docker build -t localhost/tfo-mcp .
#   docker run --rm -p 127.0.0.1:8080:8080 -v "$PWD:/workspace:ro" localhost/tfo-mcp                    # Streamable HTTP on :8080
#   docker run --rm -i -v "$PWD:/workspace:ro" --no-healthcheck localhost/tfo-mcp --transport stdio   # stdio (Claude Desktop)
#
# Podman: build with `podman build --format docker`. Its default (OCI) image format has no HEALTHCHECK,
# and podman drops it with only a warning.
# Workspace: the server runs as uid 1000. A read-write mount (for write_file) must be writable by uid 1000
# (`chown 1000 DIR`, or `--user "$(id -u):$(id -g)"` to run as yourself); otherwise write_file answers
# "permission denied". Read-only (`:ro`) is enough for every other tool.
# Behind a TLS proxy with its own CA: `--secret id=ca,src=/path/to/ca.pem` (used by npm during the build,
# never stored in the image). An unreachable registry stops the build in seconds with what to do
# (scripts/container/registry-check.mjs). No `# syntax=` line: it would make BuildKit pull a frontend image.
# docs/containers.md has the rest: sizes, versions tried, the compose stack, scripts/container-check.sh.

# Fully qualified, so that podman needs no short-name alias; override to use a mirror of it.
ARG NODE_IMAGE=docker.io/library/node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
ARG NPM_REGISTRY=https://registry.npmjs.org/
COPY package.json package-lock.json .npmrc ./
COPY scripts/container/registry-check.mjs ./scripts/container/
# npm install, not npm ci: the lock records only the linux-x64 builds of optional platform packages.
# --ignore-scripts: nothing here needs one (ssh2 falls back to JavaScript without its optional addon), and
# a slim image has no compiler for them anyway. The npm cache mount makes a rebuild after a lock change cheap.
RUN --mount=type=secret,id=ca \
    --mount=type=cache,target=/root/.npm \
    if [ -s /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi \
 && node scripts/container/registry-check.mjs "$NPM_REGISTRY" \
 && npm install --registry="$NPM_REGISTRY" --no-audit --no-fund --no-save --ignore-scripts \
      --fetch-retries=2 --fetch-timeout=60000 --loglevel=error
COPY tsconfig.json tfo-mcp.yaml ./
COPY scripts/bundle.mjs ./scripts/
COPY scripts/container/runtime-tree.mjs ./scripts/container/
COPY src ./src
# The runtime tree: the bundle (dist/main.js + dist/chunks), package.json, tfo-mcp.yaml, and the only
# packages the bundle loads from node_modules (ssh2 and its dependencies; see runtime-tree.mjs).
RUN npm run build \
 && node scripts/container/runtime-tree.mjs /runtime \
 && mkdir /runtime-workspace

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    TELEMETRYFLOW_MCP_MCP__ROOTS=/workspace \
    TELEMETRYFLOW_MCP_SERVER__HTTP__HOST=0.0.0.0 \
    TELEMETRYFLOW_MCP_SERVER__HTTP__PORT=8080 \
    TELEMETRYFLOW_MCP_SERVER__HTTP__ALLOW_INSECURE_REMOTE=true
WORKDIR /app
COPY --from=build /runtime ./
COPY --from=build --chown=node:node /runtime-workspace /workspace
USER node
EXPOSE 8080
# The port follows server.http.port when it is changed through the environment. With
# server.http.allowed_hosts set, it must include 127.0.0.1:<that port>, the Host this check sends.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.TELEMETRYFLOW_MCP_SERVER__HTTP__PORT || 8080}/health`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/main.js"]
CMD ["--transport", "http"]

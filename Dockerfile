# syntax=docker/dockerfile:1
# tfo-mcp: build with dev dependencies, run with production dependencies only, as a non-root user.
#   docker build -t tfo-mcp .
#   docker run --rm -p 127.0.0.1:8080:8080 -v "$PWD:/workspace" tfo-mcp            # Streamable HTTP on :8080
#   docker run --rm -i -v "$PWD:/workspace" --no-healthcheck tfo-mcp --transport stdio   # stdio (Claude Desktop)

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm install, not npm ci: the lock records only the linux-x64 builds of optional platform packages.
RUN npm install --no-audit --no-fund --no-save
COPY tsconfig.json ./
COPY scripts/bundle.mjs ./scripts/
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    TELEMETRYFLOW_MCP_MCP__ROOTS=/workspace \
    TELEMETRYFLOW_MCP_SERVER__HTTP__HOST=0.0.0.0 \
    TELEMETRYFLOW_MCP_SERVER__HTTP__PORT=8080 \
    TELEMETRYFLOW_MCP_SERVER__HTTP__ALLOW_INSECURE_REMOTE=true
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json tfo-mcp.yaml ./
RUN mkdir -p /workspace && chown node:node /workspace
# The image's own unprivileged user (uid 1000).
USER node
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/main.js"]
CMD ["--transport", "http"]

import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';

export const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
export const REPO_DIR = fileURLToPath(new URL('../..', import.meta.url));
/**
 * dist/main.js is the bundle that ships; TFO_BENCH_ENTRY=modules runs tsc's per-module build (profiles).
 * TFO_BENCH_MAIN=/path/to/other/dist/main.js runs another build (an A/B against an older commit).
 */
const tfoMain = () =>
  process.env.TFO_BENCH_MAIN ??
  fileURLToPath(new URL(process.env.TFO_BENCH_ENTRY === 'modules' ? '../../dist/modules/main.js' : '../../dist/main.js', import.meta.url));
const serverScript = (name) => fileURLToPath(new URL(`../servers/${name}`, import.meta.url));

/** tfo-mcp logs at warn so that logging does not dominate; its cwd is bench/ (no tfo-mcp.yaml: defaults). */
const TFO_ENV = { TELEMETRYFLOW_MCP_LOGGING__LEVEL: 'warn' };

/**
 * How to start each server on each transport. `nodeArgs` go before the script (e.g. --cpu-prof).
 * HTTP servers get their port through the environment and answer on /mcp. `stateless` marks the
 * servers of the `http 2026-07-28 stateless` suite; `statelessOptional` means a "not served" first
 * answer is reported as such instead of failing (tfo-mcp, until it serves that revision). `sdk2`
 * serves that suite only (no stdio, no 2025 sessions: its handler rejects 2025-era requests).
 */
export const SERVERS = {
  tfo: {
    label: 'tfo-mcp',
    stdio: (nodeArgs = []) => ({ command: process.execPath, args: [...nodeArgs, tfoMain()], env: TFO_ENV, cwd: BENCH_DIR }),
    http: (port, nodeArgs = []) => ({
      command: process.execPath,
      args: [...nodeArgs, tfoMain(), '--transport', 'http'],
      env: { ...TFO_ENV, TELEMETRYFLOW_MCP_SERVER__HTTP__PORT: String(port) },
      cwd: BENCH_DIR,
    }),
    check: () => (existsSync(tfoMain()) ? undefined : `${tfoMain()} is missing: run \`npm run build\` first`),
    stateless: true,
    statelessOptional: true,
  },
  sdk: {
    label: 'bare SDK',
    stdio: (nodeArgs = []) => ({ command: process.execPath, args: [...nodeArgs, serverScript('sdk-stdio.mjs')], env: {}, cwd: BENCH_DIR }),
    http: (port, nodeArgs = [], options = {}) => ({
      command: process.execPath,
      args: [...nodeArgs, serverScript('sdk-http.mjs')],
      env: { BENCH_PORT: String(port), ...(options.sdkJson ? { BENCH_SDK_JSON: '1' } : {}) },
      cwd: BENCH_DIR,
    }),
    check: () => checkBenchDeps(['@modelcontextprotocol/sdk', 'zod']),
  },
  fastmcp: {
    label: 'fastmcp',
    stdio: (nodeArgs = []) => ({ command: process.execPath, args: [...nodeArgs, serverScript('fastmcp-stdio.mjs')], env: {}, cwd: BENCH_DIR }),
    http: (port, nodeArgs = []) => ({ command: process.execPath, args: [...nodeArgs, serverScript('fastmcp-http.mjs')], env: { BENCH_PORT: String(port) }, cwd: BENCH_DIR }),
    check: () => checkBenchDeps(['fastmcp', 'zod']),
  },
  sdk2: {
    label: 'SDK v2',
    http: (port, nodeArgs = []) => ({ command: process.execPath, args: [...nodeArgs, serverScript('sdk2-http.mjs')], env: { BENCH_PORT: String(port) }, cwd: BENCH_DIR }),
    check: () => checkBenchDeps(['@modelcontextprotocol/server', '@modelcontextprotocol/node', 'zod']),
    stateless: true,
  },
};

function checkBenchDeps(needed) {
  const missing = needed.filter((name) => !existsSync(fileURLToPath(new URL(`../node_modules/${name}/package.json`, import.meta.url))));
  return missing.length === 0 ? undefined : `bench dependencies missing (${missing.join(', ')}): run \`npm install --prefix bench\``;
}

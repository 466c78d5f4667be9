#!/usr/bin/env node
// Instructions per tools/call of tfo-mcp over HTTP (16 sessions, one call in flight each), counted
// by valgrind's cachegrind: machine load does not move them, so this is how to tell a small cost on
// the hot path from the noise of a shared machine, where CPU time per call moves by ±30 % between
// windows (bench/lib/variants.mjs fights that by interleaving; this does not need to).
//
// Per variant, the server runs under cachegrind twice, serving `--calls` and then 4 × `--calls`
// calls after the same start-up and sessions; the difference in instructions over the difference
// in calls is the steady-state cost of a call (start-up, session set-up and the first calls' JIT
// work cancel out). Every thread counts (valgrind runs them one at a time): GC, compiler, libuv.
// Needs valgrind (Debian `valgrind`) and dist/ (npm run build); about 1 minute per variant.
//   node bench/instructions.mjs                          none, apikey, jwt, metrics, traces
//   node bench/instructions.mjs --variants none,jwt --calls 500
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startAuthFixture } from './lib/auth-fixture.mjs';
import { createAgent, HttpMcpSession } from './lib/http-client.mjs';
import { drive, pool } from './lib/load.mjs';
import { freePort, waitForPort } from './lib/proc.mjs';
import { REPO_DIR } from './lib/servers.mjs';
import { configOf, otlpSink, VARIANTS } from './lib/variants.mjs';

const ALL = VARIANTS;
const { values: args } = parseArgs({
  options: {
    variants: { type: 'string', default: ALL.join(',') },
    calls: { type: 'string', default: '1000' },
    main: { type: 'string', default: join(REPO_DIR, 'dist', 'main.js') },
  },
  strict: true,
});
const variants = args.variants.split(',').filter(Boolean);
if (variants.some((v) => !ALL.includes(v))) {
  process.stderr.write(`instructions: --variants is a comma list of ${ALL.join(', ')}\n`);
  process.exit(2);
}
const calls = Math.max(100, Number(args.calls));
if (spawnSync('valgrind', ['--version']).status !== 0) {
  process.stderr.write('instructions: valgrind is not installed (apt-get install valgrind)\n');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'tfo-instructions-'));
const fixture = variants.some((v) => v === 'apikey' || v === 'jwt') ? await startAuthFixture() : undefined;
const sink = variants.includes('traces') ? await otlpSink() : undefined;
const children = new Set();
const watchdog = setTimeout(() => {
  process.stderr.write('instructions: watchdog fired; stopping the servers it started\n');
  for (const child of children) child.kill('SIGKILL');
  process.exit(3);
}, variants.length * 2 * 600_000);
watchdog.unref();

/** Total instructions of one server run under cachegrind that serves `count` calls. */
async function instructions(variant, count) {
  const port = await freePort();
  const config = configOf(variant, fixture, sink);
  const env = { ...process.env, TELEMETRYFLOW_MCP_SERVER__HTTP__PORT: String(port), TELEMETRYFLOW_MCP_LOGGING__LEVEL: 'warn', ...config.env?.(port) };
  const out = join(dir, `${variant}-${count}.cg`);
  const child = spawn('valgrind', ['--tool=cachegrind', '--cache-sim=no', `--cachegrind-out-file=${out}`, process.execPath, args.main, '--transport', 'http'], { env, cwd: dir, stdio: 'ignore' });
  children.add(child);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await waitForPort(port, 300_000, () => child.exitCode === null);
    const credential = await config.credential(port);
    const agent = createAgent();
    const headers = credential === undefined ? {} : { Authorization: `Bearer ${credential}` };
    const sessions = Array.from({ length: 16 }, () => new HttpMcpSession({ agent, port, requestTimeoutMs: 120_000, credentials: headers }));
    // One session first: its credential check (scrypt, a signature) is then cached for the others.
    await sessions[0].open();
    await pool(15, 15, (i) => sessions[i + 1].open());
    const result = await drive({ lanes: 16, durationMs: 3_600_000, maxCalls: count, call: (lane, n) => sessions[lane].echo(`m${n}`) });
    if (result.calls !== count) throw new Error(`${variant}: ${result.calls} of ${count} calls answered`);
    if (config.scrape) await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
    agent.destroy();
  } finally {
    child.kill('SIGTERM');
    await exited;
    children.delete(child);
  }
  const summary = readFileSync(out, 'utf8').split('\n').find((line) => line.startsWith('summary:'));
  if (!summary) throw new Error(`${variant}: cachegrind wrote no summary`);
  return Number(summary.split(/\s+/)[1]);
}

const perCall = {};
try {
  for (const variant of variants) {
    const [few, many] = await Promise.all([instructions(variant, calls), instructions(variant, 4 * calls)]);
    perCall[variant] = (many - few) / (3 * calls);
    process.stderr.write(`  ${variant.padEnd(7)} ${(perCall[variant] / 1000).toFixed(1)} k instructions per call (${few} at ${calls} calls, ${many} at ${4 * calls})\n`);
  }
} finally {
  await fixture?.stop();
  await sink?.close();
  rmSync(dir, { recursive: true, force: true });
  clearTimeout(watchdog);
}
const base = perCall.none;
process.stdout.write(`[instructions per tools/call, tfo-mcp http, 16 sessions; cachegrind, (I(${4 * calls}) − I(${calls})) / ${3 * calls}]\n`);
for (const variant of variants) {
  const ratio = base === undefined || variant === 'none' ? '' : `  ${(perCall[variant] / base).toFixed(3)}× off`;
  process.stdout.write(`  ${(variant === 'none' ? 'off' : variant).padEnd(8)} ${(perCall[variant] / 1000).toFixed(1).padStart(8)} k${ratio}\n`);
}


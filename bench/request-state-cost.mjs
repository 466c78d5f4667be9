#!/usr/bin/env node
// CPU per call of RequestStateKeys (seal, open with the first or the second key, a refused state),
// straight from the built modules: `npm run build && node bench/request-state-cost.mjs`.
import { RequestStateKeys } from '../dist/modules/infrastructure/security/request-state-keys.js';

const logger = { debug() {}, info() {}, warn() {}, error() {}, debugEnabled: false };
const two = new RequestStateKeys({ keys: ['b'.repeat(32), 'a'.repeat(32)], ttlSeconds: 600 }, logger);
const old = new RequestStateKeys({ keys: ['a'.repeat(32)], ttlSeconds: 600 }, logger);
const payload = { round: 1, answers: { ok: true } };
const binding = 'tools/call echo anonymous';
const sealed = await two.seal(payload, binding);
const sealedOld = await old.seal(payload, binding);
const N = 20_000;
for (const [label, run] of [
  ['seal', () => two.seal(payload, binding)],
  ['open', () => two.open(sealed, binding)],
  ['open-2nd-key', () => two.open(sealedOld, binding)],
  ['refuse', () => two.open(`${sealed.slice(0, -2)}AA`, binding).catch(() => 0)],
]) {
  for (let i = 0; i < 2_000; i += 1) await run();
  const start = process.cpuUsage();
  for (let i = 0; i < N; i += 1) await run();
  const used = process.cpuUsage(start);
  process.stdout.write(`${label} ${((used.user + used.system) / N).toFixed(1)} µs\n`);
}

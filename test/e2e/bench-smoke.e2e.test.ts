import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The benchmark harness itself must keep working (it fails on a wrong echo answer, an error or a
 * crash). This runs its quick mode against tfo-mcp only; figures are not asserted: speed targets
 * are judged by `npm run bench`, not by timed tests.
 */
const ROOT = resolve(new URL('.', import.meta.url).pathname, '../..');

describe('npm run bench – harness smoke run (--quick --only tfo)', () => {
  let out: string;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'tfo-bench-'));
  });

  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('runs every suite against the built server, exits 0, and writes a results file with the figures', async () => {
    const child = spawn(process.execPath, ['bench/run.mjs', '--quick', '--only', 'tfo', '--out', out], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    expect({ code, tail: code === 0 ? '' : output.slice(-2000) }).toEqual({ code: 0, tail: '' });
    const files = (await readdir(out)).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    const results = JSON.parse(await readFile(join(out, files[0]), 'utf8')) as {
      failures: unknown[];
      medians: Record<string, Record<string, number>>;
      rounds: { tfo: { variants?: Record<string, { throughput: number; cpuUsPerCall: number; windows: number; exports?: number }> } }[];
    };
    expect(results.failures).toEqual([]);
    const tfo = results.medians['tfo'];
    expect(tfo['stdio.serial.throughput']).toBeGreaterThan(0);
    expect(tfo['http.16.throughput']).toBeGreaterThan(0);
    expect(tfo['held.kbPerSession']).toBeGreaterThan(0);
    // The features suite: off, an API key, a JWT from the test support's oidc-provider, metrics on,
    // traces exported to the harness's sink; each measured in two alternating windows (--quick).
    const variants = results.rounds[0]!.tfo.variants!;
    for (const variant of ['none', 'apikey', 'jwt', 'metrics', 'traces']) expect(variants[variant]).toMatchObject({ throughput: expect.any(Number), cpuUsPerCall: expect.any(Number), windows: 2 });
    expect(variants['jwt']!.throughput).toBeGreaterThan(0);
    expect(variants['metrics']!.throughput).toBeGreaterThan(0);
    expect(variants['traces']).toMatchObject({ exports: expect.any(Number), exportedBytes: expect.any(Number) });
    expect(output).toMatch(/ratio auth\/none http@16: cpu\/call api-key \d+\.\d\d jwt \d+\.\d\d/);
    expect(output).toMatch(/ratio telemetry\/none http@16: cpu\/call metrics \d+\.\d\d traces \d+\.\d\d/);
    expect(output).toMatch(/http CPU per call @16 with metrics on ≤ 1\.1× off/);
  }, 120_000);
});

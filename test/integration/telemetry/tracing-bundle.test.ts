import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { startOtlpReceiver, type OtlpReceiver } from '../../support/otlp-receiver.js';
import { describeWithServices } from '../../support/with-services.js';
import { byName } from './tracing-support.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CLIENT = 3;

/** scripts/bundle.mjs's options: one ESM bundle with chunks, packages inside, a require shim. */
async function bundle(outdir: string): Promise<string> {
  await build({
    absWorkingDir: ROOT,
    entryPoints: { server: 'test/integration/telemetry/fixtures/bundled-server.ts' },
    outdir,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['pg-native'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'error',
  });
  return join(outdir, 'server.js');
}

function run(entry: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describeWithServices('tracing inside an esbuild bundle (as dist/main.js ships)', () => {
  let receiver: OtlpReceiver;
  let outdir: string;
  let entry: string;
  const env = (protocol: string) => ({
    OTLP_ENDPOINT: receiver.endpoint,
    OTLP_PROTOCOL: protocol,
    PG_URL: process.env.TFO_PG_URL ?? 'postgres://mcp:mcp@127.0.0.1:55432/mcp',
    REDIS_URL: process.env.TFO_REDIS_URL ?? 'redis://127.0.0.1:56379/0',
  });

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    outdir = await mkdtemp(join(tmpdir(), 'tfo-trace-bundle-'));
    entry = await bundle(outdir);
  });

  beforeEach(() => {
    receiver.spans.length = 0;
    receiver.requests.length = 0;
  });

  afterAll(async () => {
    await receiver.close();
    await rm(outdir, { recursive: true, force: true });
  });

  it('pg and ioredis bundled into a chunk and loaded before tracing starts - their calls are still client spans under the handler', async () => {
    expect((await readdir(join(outdir, 'chunks'))).length).toBeGreaterThan(0);

    const { code, stderr } = await run(entry, env('http/protobuf'));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });

    const spans = await receiver.waitFor((all) => all.length >= 4);
    const handler = byName(spans, 'BundledCommand');
    const query = spans.find((span) => span.kind === CLIENT && span.attributes['db.system.name'] === 'postgresql' && span.attributes['db.query.text'] !== undefined);
    const ping = spans.find((span) => span.kind === CLIENT && span.attributes['db.system.name'] === 'redis' && span.name === 'ping');
    expect(query).toMatchObject({ traceId: handler.traceId, parentSpanId: handler.spanId, attributes: expect.objectContaining({ 'db.query.text': 'SELECT $1::int AS n' }) });
    expect(ping).toMatchObject({ traceId: handler.traceId, parentSpanId: handler.spanId });
  });

  it('http/json from the bundle - the JSON exporter loads from its chunk too', async () => {
    expect(await run(entry, env('http/json'))).toEqual({ code: 0, stderr: '' });
    const spans = await receiver.waitFor((all) => all.length >= 4);
    expect(receiver.requests[0].contentType).toMatch(/^application\/json/);
    expect(byName(spans, 'tools/call').attributes['network.transport']).toBe('pipe');
  });
});

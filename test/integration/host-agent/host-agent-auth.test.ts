import { EXECUTE_PATH, HEALTH_PATH, sign, signedHeaders } from '../../../src/infrastructure/execution/host-agent/host-agent-protocol.js';
import { HostAgentExecutor } from '../../../src/infrastructure/execution/host-agent/host-agent-executor.js';
import { rawRequest, SECRET, startAgent, type AgentFixture } from './agent-fixture.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const secret = Buffer.from(SECRET);

describe('host agent authentication (HMAC, timestamp, nonce)', () => {
  let fx: AgentFixture;
  let body: string;

  beforeEach(async () => {
    fx = await startAgent();
    body = JSON.stringify({ command: 'echo', args: ['hi'], cwd: fx.root, env: {}, timeoutMs: 5000, maxOutputBytes: 1024 });
  });

  afterEach(async () => {
    await fx.stop();
  });

  function refusedWith(reason: string): Record<string, unknown>[] {
    return fx.audit().filter((line) => line['outcome'] === 'refused' && line['reason'] === reason);
  }

  it('execute - correctly signed raw request - runs (the baseline the attacks below alter)', async () => {
    const answer = await rawRequest(fx.agent.url, 'POST', EXECUTE_PATH, signedHeaders('POST', EXECUTE_PATH, Buffer.from(body), secret), body);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('"stdout":"hi\\n"');
    expect(fx.audit()).toEqual([expect.objectContaining({ action: 'execute', outcome: 'accepted', program: 'echo', exitCode: 0 })]);
  });

  it('execute - signed with another secret - 401 and audited once as bad_signature', async () => {
    const headers = signedHeaders('POST', EXECUTE_PATH, Buffer.from(body), Buffer.from('another-secret-of-sufficient-length-xxxxx'));
    const answer = await rawRequest(fx.agent.url, 'POST', EXECUTE_PATH, headers, body);
    expect(answer.status).toBe(401);
    expect(refusedWith('bad_signature')).toHaveLength(1);
    expect(fx.audit()).toHaveLength(1);
  });

  it('execute - timestamp 31 s old, correctly signed - 401 and audited once as stale_timestamp', async () => {
    const headers = signedHeaders('POST', EXECUTE_PATH, Buffer.from(body), secret, Date.now() - 31_000);
    const answer = await rawRequest(fx.agent.url, 'POST', EXECUTE_PATH, headers, body);
    expect(answer.status).toBe(401);
    expect(refusedWith('stale_timestamp')).toHaveLength(1);
    expect(fx.audit().filter((line) => line['outcome'] === 'accepted')).toHaveLength(0);
  });

  it('execute - timestamp 31 s ahead - 401 stale_timestamp', async () => {
    const headers = signedHeaders('POST', EXECUTE_PATH, Buffer.from(body), secret, Date.now() + 31_000);
    expect((await rawRequest(fx.agent.url, 'POST', EXECUTE_PATH, headers, body)).status).toBe(401);
    expect(refusedWith('stale_timestamp')).toHaveLength(1);
  });

  it('execute - the same signed request sent twice - second refused as replayed_nonce, audited once; the command ran once', async () => {
    const headers = signedHeaders('POST', EXECUTE_PATH, Buffer.from(body), secret);
    expect((await rawRequest(fx.agent.url, 'POST', EXECUTE_PATH, headers, body)).status).toBe(200);
    expect((await rawRequest(fx.agent.url, 'POST', EXECUTE_PATH, headers, body)).status).toBe(401);
    expect(refusedWith('replayed_nonce')).toHaveLength(1);
    expect(fx.audit().filter((line) => line['outcome'] === 'accepted')).toHaveLength(1);
  });

  it('execute - body altered after signing - 401 bad_signature and the altered command never runs', async () => {
    const headers = signedHeaders('POST', EXECUTE_PATH, Buffer.from(body), secret);
    const altered = body.replace('"hi"', '"pwned"');
    const answer = await rawRequest(fx.agent.url, 'POST', EXECUTE_PATH, headers, altered);
    expect(answer.status).toBe(401);
    expect(answer.body).not.toContain('pwned');
    expect(refusedWith('bad_signature')).toHaveLength(1);
    expect(fx.audit()).toHaveLength(1);
  });

  it('execute - signature for another path replayed on /v1/execute - 401 bad_signature', async () => {
    const headers = signedHeaders('GET', HEALTH_PATH, Buffer.from(body), secret);
    expect((await rawRequest(fx.agent.url, 'POST', EXECUTE_PATH, headers, body)).status).toBe(401);
    expect(refusedWith('bad_signature')).toHaveLength(1);
  });

  it('execute - no signature headers - 401 missing_headers', async () => {
    expect((await rawRequest(fx.agent.url, 'POST', EXECUTE_PATH, {}, body)).status).toBe(401);
    expect(refusedWith('missing_headers')).toHaveLength(1);
  });

  it('sign - any changed part - changes the signature', () => {
    const parts = { method: 'POST', path: EXECUTE_PATH, timestamp: '1', nonce: 'n'.repeat(32), body: Buffer.from('x') };
    const base = sign(parts, secret);
    for (const changed of [{ method: 'GET' }, { path: HEALTH_PATH }, { timestamp: '2' }, { nonce: 'm'.repeat(32) }, { body: Buffer.from('y') }]) {
      expect(sign({ ...parts, ...changed }, secret)).not.toBe(base);
    }
  });

  it('health - executor with the right secret - up; with a wrong secret - down, and the agent audits the refusal', async () => {
    expect(await fx.executor.health()).toMatchObject({ backend: 'host_agent', status: 'up' });
    const wrong = join(fx.dir, 'wrong-secret');
    writeFileSync(wrong, 'a-different-secret-of-enough-length-0123456789');
    const impostor = new HostAgentExecutor({ url: fx.agent.url, secretFile: wrong }, fx.logs);
    expect(await impostor.health()).toMatchObject({ status: 'down' });
    expect(fx.audit()).toEqual([expect.objectContaining({ action: 'health', outcome: 'refused', reason: 'bad_signature' })]);
  });

  it('execute - executor with a wrong secret - fails as "host agent refused the request", not as a command result', async () => {
    const wrong = join(fx.dir, 'wrong-secret');
    writeFileSync(wrong, 'a-different-secret-of-enough-length-0123456789');
    const impostor = new HostAgentExecutor({ url: fx.agent.url, secretFile: wrong }, fx.logs);
    await expect(impostor.execute({ command: 'echo', args: ['x'], cwd: fx.root, timeoutMs: 5000, maxOutputBytes: 1024 })).rejects.toMatchObject({
      envelope: expect.objectContaining({ error: 'host agent refused the request' }),
    });
  });
});

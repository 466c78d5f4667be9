import type { ExecutorHealth } from '../../../src/application/ports/executor.js';
import { ExecutorHealthCheck } from '../../../src/infrastructure/health/embedded-health-checks.js';

const contained = { contained: true, description: 'pid namespace, no capabilities' };

function backend(health: (signal?: AbortSignal) => Promise<ExecutorHealth>, isolation = contained) {
  return { backend: 'native', isolation, health };
}

describe('ExecutorHealthCheck with a backend health()', () => {
  it('check - backend up with limit details - up, every detail on the line, isolation once', async () => {
    const result = await new ExecutorHealthCheck(backend(async () => ({
      backend: 'native',
      status: 'up',
      details: { isolation: contained.description, max_memory: 'enforced: RLIMIT_AS', max_processes: 'not enforced: RLIMIT_NPROC is ignored for root (uid 0)', hosts: { up: 2 } },
    }))).check();
    expect(result).toEqual({
      name: 'executor',
      status: 'up',
      detail: 'native; isolation: pid namespace, no capabilities; max_memory: enforced: RLIMIT_AS; max_processes: not enforced: RLIMIT_NPROC is ignored for root (uid 0); hosts: {"up":2}',
    });
  });

  it('check - backend down - degraded (other tools still answer), saying so', async () => {
    const result = await new ExecutorHealthCheck(backend(async () => ({ backend: 'docker', status: 'down', details: { reason: 'engine not reachable' } }))).check();
    expect(result.status).toBe('degraded');
    expect(result.detail).toContain('backend down; reason: engine not reachable');
  });

  it('check - backend never answers - degraded at the deadline, and the backend is told to stop', async () => {
    let aborted = false;
    const started = Date.now();
    const result = await new ExecutorHealthCheck(backend((signal) => new Promise(() => signal?.addEventListener('abort', () => (aborted = true)))), 100).check();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(result).toMatchObject({ status: 'degraded', detail: expect.stringContaining('health: no answer within 100 ms') });
    expect(aborted).toBe(true);
  });

  it('check - backend throws - degraded with the message', async () => {
    const result = await new ExecutorHealthCheck(backend(async () => { throw new Error('socket closed'); })).check();
    expect(result).toMatchObject({ status: 'degraded', detail: expect.stringContaining('health: socket closed') });
  });

  it('check - not contained although the backend is up - degraded', async () => {
    const result = await new ExecutorHealthCheck(backend(async () => ({ backend: 'native', status: 'up', details: {} }), { contained: false, description: 'process group only' })).check();
    expect(result).toEqual({ name: 'executor', status: 'degraded', detail: 'native; isolation: process group only' });
  });
});

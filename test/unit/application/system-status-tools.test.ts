import { ExecutorSwitch } from '../../../src/application/execution/executor-switch.js';
import type { HealthReport } from '../../../src/application/health/get-health.query.js';
import type { Executor, ExecutorHealth } from '../../../src/application/ports/executor.js';
import { SystemStatusTools } from '../../../src/application/tools/system-status.tools.js';
import type { ToolContext, ToolDefinition } from '../../../src/application/tools/tool-definition.js';
import { NativeExecutor } from '../../../src/infrastructure/execution/native-executor.js';
import { RecordingLogger } from '../../support/builders.js';

const context: ToolContext = { sessionId: 's', signal: new AbortController().signal, progress: () => undefined, log: () => undefined };

function report(status: HealthReport['status'] = 'up'): HealthReport {
  return {
    status,
    name: 'tfo-mcp',
    version: '1.2.3',
    uptimeSeconds: 7,
    sessions: null,
    components: [{ name: 'persistence', status, detail: 'memory' }],
    checkedAt: '2026-01-01T00:00:00.000Z',
  };
}

function backend(health: (signal?: AbortSignal) => Promise<ExecutorHealth>): Executor {
  return { backend: 'scripted', isolation: { contained: true, description: 'test' }, execute: () => Promise.reject(new Error('not run')), health, shutdown: async () => undefined };
}

async function status(tools: SystemStatusTools): Promise<Record<string, unknown>> {
  const definition = tools.tools()[0] as ToolDefinition<unknown>;
  const output = await definition.run(definition.input.parse({}), context);
  return output.structuredContent as Record<string, unknown>;
}

describe('SystemStatusTools get_system_status', () => {
  it('props - a read-only tool named get_system_status', () => {
    const { props } = new SystemStatusTools(async () => report(), backend(async () => ({ backend: 'scripted', status: 'up', details: {} }))).tools()[0]!;
    expect(props.name).toBe('get_system_status');
    expect(props.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false, idempotentHint: false });
  });

  it('server up, backend up - the report as status://health gives it, the backend name, status and details', async () => {
    const answer = await status(new SystemStatusTools(async () => report(), backend(async () => ({ backend: 'scripted', status: 'up', details: { image: 'busybox' } }))));
    expect(answer).toEqual({
      status: 'up',
      server: report(),
      execution: { backend: 'scripted', status: 'up', details: { image: 'busybox' }, checked_in_ms: expect.any(Number) },
    });
  });

  it('server up, backend degraded - overall degraded', async () => {
    const answer = await status(new SystemStatusTools(async () => report(), backend(async () => ({ backend: 'scripted', status: 'degraded', details: {} }))));
    expect(answer['status']).toBe('degraded');
  });

  it('server down, backend up - overall down', async () => {
    const answer = await status(new SystemStatusTools(async () => report('down'), backend(async () => ({ backend: 'scripted', status: 'up', details: {} }))));
    expect(answer['status']).toBe('down');
  });

  it('backend that never answers - down within the deadline, its signal aborted', async () => {
    let signalled: AbortSignal | undefined;
    const hung = backend((signal) => {
      signalled = signal;
      return new Promise<ExecutorHealth>(() => undefined);
    });
    const started = Date.now();
    const answer = await status(new SystemStatusTools(async () => report(), hung, 100));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(answer).toMatchObject({ status: 'down', execution: { backend: 'scripted', status: 'down', details: { problem: 'no answer within 100 ms' } } });
    expect(signalled?.aborted).toBe(true);
  });

  it('backend health that throws a driver error - down, without the error text', async () => {
    const failing = backend(async () => {
      throw new Error('connect ECONNREFUSED /secret/podman.sock password=hunter2');
    });
    const answer = await status(new SystemStatusTools(async () => report(), failing));
    expect(answer['execution']).toMatchObject({ status: 'down', details: { problem: 'health check failed' } });
    expect(JSON.stringify(answer)).not.toContain('hunter2');
  });

  it('the native backend behind the switch - reports native and what it enforces', async () => {
    const native = new NativeExecutor();
    try {
      const answer = await status(new SystemStatusTools(async () => report(), new ExecutorSwitch(native, new RecordingLogger())));
      expect(answer['execution']).toMatchObject({ backend: 'native', status: expect.stringMatching(/^(up|degraded)$/) });
    } finally {
      await native.shutdown();
    }
  });
});

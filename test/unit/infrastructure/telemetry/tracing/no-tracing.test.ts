import { NO_SPAN, NO_TRACING } from '../../../../../src/application/ports/tracer.js';

const PARENT = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };

describe('NO_TRACING (telemetry.otlp absent)', () => {
  it('each helper - runs the callback once with the no-op span and returns its result', async () => {
    const seen: unknown[] = [];
    const run = async (span: unknown) => {
      seen.push(span);
      return 42;
    };
    await expect(NO_TRACING.request({ method: 'tools/call', transport: 'stdio' }, run)).resolves.toBe(42);
    await expect(NO_TRACING.handler('ExecuteToolCommand', run)).resolves.toBe(42);
    await expect(NO_TRACING.toolRun('read_file', run)).resolves.toBe(42);
    await expect(NO_TRACING.executorRun('native', run)).resolves.toBe(42);
    await expect(NO_TRACING.consume('tfo.mcp.tool.executed.v1', PARENT, run)).resolves.toBe(42);
    expect(seen).toEqual([NO_SPAN, NO_SPAN, NO_SPAN, NO_SPAN, NO_SPAN]);
  });

  it('a failing callback - the same error comes out', async () => {
    const boom = new Error('boom');
    await expect(NO_TRACING.handler('X', () => Promise.reject(boom))).rejects.toBe(boom);
  });

  it('publish - the inner publisher gets each event context as recorded', async () => {
    const contexts = await NO_TRACING.publish([{ id: 'a', type: 't', trace: PARENT }, { id: 'b', type: 't' }], 'nats', async (c) => c);
    expect(contexts).toEqual([PARENT, undefined]);
  });

  it('current and logFields - nothing, so events and log lines carry no ids', () => {
    expect(NO_TRACING.enabled).toBe(false);
    expect(NO_TRACING.current()).toBeUndefined();
    expect(NO_TRACING.logFields()).toBeUndefined();
  });
});

import { RequestGate } from '../../../src/presentation/mcp/request-gate.js';

describe('RequestGate', () => {
  it('drain – requests in flight – resolves true once they leave, and refuses new ones meanwhile', async () => {
    const gate = new RequestGate();
    gate.enter('tools/call');
    gate.enter('tools/call');
    let drained: boolean | undefined;
    const done = gate.drain(5000).then((value) => (drained = value));
    expect(() => gate.enter('tools/list')).toThrow(/shutting down; 'tools\/list' was not started/);
    gate.leave();
    await Promise.resolve();
    expect(drained).toBeUndefined();
    gate.leave();
    await done;
    expect(drained).toBe(true);
  });

  it('drain – with one request allowed to remain (the shutdown request itself) – resolves at one', async () => {
    const gate = new RequestGate();
    gate.enter('shutdown');
    expect(await gate.drain(1000, 1)).toBe(true);
  });

  it('drain – a request that never finishes – resolves false after the timeout', async () => {
    const gate = new RequestGate();
    gate.enter('tools/call');
    expect(await gate.drain(30)).toBe(false);
    expect(gate.pending).toBe(1);
  });
});

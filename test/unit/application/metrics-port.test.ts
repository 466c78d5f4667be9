import { NO_METRICS, outcomeOfErrorCode } from '../../../src/application/ports/metrics.js';

describe('Metrics port', () => {
  it('NO_METRICS - start marks are 0 and every report is accepted and dropped', () => {
    expect([NO_METRICS.requestStarted(), NO_METRICS.toolCallStarted(), NO_METRICS.relayPublishStarted()]).toEqual([0, 0, 0]);
    expect(NO_METRICS.requestEnded(0, 'tools/call', 'modern', 'ok')).toBeUndefined();
    expect(NO_METRICS.toolCallEnded(0, 'read_file', 'none', 'error')).toBeUndefined();
    let probed = 0;
    NO_METRICS.observeSessions(() => {
      probed += 1;
      return {};
    });
    NO_METRICS.observeOutbox(() => {
      probed += 1;
      return { pending: 0, oldestAgeSeconds: 0 };
    });
    expect(probed).toBe(0);
  });

  it('NO_METRICS - shared by every server in the process, so nobody can swap its methods', () => {
    expect(Object.isFrozen(NO_METRICS)).toBe(true);
    expect(() => Object.assign(NO_METRICS, { cacheLookup: () => undefined })).toThrow(TypeError);
  });

  it.each([
    [-32700, 'client_error'],
    [-32600, 'client_error'],
    [-32601, 'client_error'],
    [-32602, 'client_error'],
    [-32002, 'client_error'],
    [-32020, 'client_error'],
    [-32021, 'client_error'],
    [-32022, 'client_error'],
    [-32603, 'server_error'],
    [-32000, 'server_error'],
    [-1, 'server_error'],
  ] as const)('outcomeOfErrorCode(%i) - %s', (code, outcome) => {
    expect(outcomeOfErrorCode(code)).toBe(outcome);
  });
});

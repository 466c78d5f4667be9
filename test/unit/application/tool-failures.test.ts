import { errnoError } from '../../../src/infrastructure/filesystem/fs-errors.js';
import { ClientAnswerPending } from '../../../src/application/ports/client-requests.js';
import { toToolFailure } from '../../../src/application/tools/tool-failures.js';

describe('toToolFailure (file system codes)', () => {
  it('ENAMETOOLONG for a 5000-character path - "path too long", the echoed path shortened to head…tail', () => {
    const longPath = `/work/${'a'.repeat(4000)}/${'b'.repeat(980)}/tail-of-the-path.txt`;
    const { envelope } = toToolFailure(errnoError('ENAMETOOLONG', longPath), { path: longPath });
    expect(envelope).toMatchObject({ error: 'path too long', retryable: false });
    const echoed = envelope.context?.['path'] as string;
    expect(echoed).toBe(`${longPath.slice(0, 60)}…${longPath.slice(-20)}`);
    expect(JSON.stringify(envelope).length).toBeLessThan(1000);
  });

  it('ENAMETOOLONG for a short path - echoed whole', () => {
    const { envelope } = toToolFailure(errnoError('ENAMETOOLONG', 'x'), { path: 'short/path.txt' });
    expect(envelope.context).toEqual({ path: 'short/path.txt', code: 'ENAMETOOLONG' });
  });

  it('ESTALE (a path swapped between check and use) - "path changed", retryable, the internal message withheld', () => {
    const { envelope } = toToolFailure(errnoError('ESTALE', '/real/outside/path changed'), { path: 'a.txt' });
    expect(envelope).toMatchObject({ error: 'path changed during the operation', retryable: true, context: { path: 'a.txt', code: 'ESTALE' } });
    expect(JSON.stringify(envelope)).not.toContain('/real/outside');
  });

  it('ERR_FS_HARD_LINKED - "hard-linked file", naming security.allow_hardlink_writes and the overwrite alternative', () => {
    const { envelope } = toToolFailure(errnoError('ERR_FS_HARD_LINKED', 'x has 2 hard links'), { path: 'x' });
    expect(envelope.error).toBe('hard-linked file');
    expect(envelope.suggested_actions.join(' ')).toContain('security.allow_hardlink_writes');
    expect(envelope.suggested_actions.join(' ')).toContain('overwrite');
  });
});

describe('toToolFailure (a client interrupt)', () => {
  it('ClientAnswerPending - rethrown as it is, never an envelope', () => {
    const pending = new ClientAnswerPending();
    expect(() => toToolFailure(pending, { path: 'x' })).toThrow(pending);
  });
});

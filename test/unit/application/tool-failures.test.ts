import { errnoError } from '../../../src/infrastructure/filesystem/fs-errors.js';
import { ClientAnswerPending } from '../../../src/application/ports/client-requests.js';
import { DomainError } from '../../../src/domain/shared/domain-error.js';
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

describe('toToolFailure (domain errors and the rest)', () => {
  it('DomainError workspace.path_outside_roots - its own envelope, the caller context and the error details merged', () => {
    const error = new DomainError('workspace.path_outside_roots', 'path /etc/passwd is outside the allowed roots', { root_count: 1 });
    const failure = toToolFailure(error, { path: '/etc/passwd' });
    expect(failure.internal).toBe(false);
    expect(failure.envelope).toMatchObject({ error: 'path outside allowed roots', retryable: false, context: { path: '/etc/passwd', root_count: 1 } });
  });

  it('DomainError with another code, no context and no details - "invalid request" with its message and no context key', () => {
    const failure = toToolFailure(new DomainError('value.invalid', 'the pattern is empty'));
    expect(failure.envelope).toEqual({ error: 'invalid request', reason: 'the pattern is empty', suggested_actions: ['correct the arguments and retry'], retryable: false });
  });

  it('an unknown error - the internal envelope, marked internal, carrying the cause for the log only', () => {
    const cause = new Error('driver said: password=hunter2');
    const failure = toToolFailure(cause, { path: 'x' });
    expect(failure.internal).toBe(true);
    expect(failure.cause).toBe(cause);
    expect(failure.envelope).toMatchObject({ error: 'internal error', context: { path: 'x' } });
    expect(JSON.stringify(failure.envelope)).not.toContain('hunter2');
  });
});

import { DomainError } from '../../../src/domain/shared/domain-error.js';
import { domainErrorOf } from '../../support/builders.js';
import {
  assertValidPathInput,
  assertWithinRoots,
  isWithinRoot,
  isWithinRoots,
  toAbsolute,
} from '../../../src/domain/workspace/path-containment.js';

function thrown(action: () => void): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('isWithinRoot', () => {
  it.each([
    ['a file below the root', '/root', '/root/a/b.txt', true],
    ['the root itself', '/root', '/root', true],
    ['the root with a trailing slash on the target', '/root', '/root/', true],
    ['a root with a trailing slash', '/root/', '/root/a', true],
    ['a sibling sharing the prefix', '/root', '/root-evil/a', false],
    ['a sibling equal to the prefix plus text', '/root', '/rootx', false],
    ['the parent of the root', '/root/sub', '/root', false],
    ['a lexical .. escape', '/root', '/root/../etc/passwd', false],
    ['a .. that stays inside', '/root', '/root/a/../b', true],
    ['an unrelated path', '/root', '/etc/passwd', false],
    ['anything under the file-system root', '/', '/etc/passwd', true],
    ['the file-system root under itself', '/', '/', true],
    ['a relative target', '/root', 'root/a', false],
    ['a relative root', 'root', '/root/a', false],
  ])('%s: isWithinRoot(%s, %s) = %s', (_name, root, target, expected) => {
    expect(isWithinRoot(root, target)).toBe(expected);
  });
});

describe('isWithinRoots', () => {
  const roots = ['/srv/app', '/data'];

  it.each([
    ['/srv/app/x', true],
    ['/data/y/z', true],
    ['/srv/application', false],
    ['/srv', false],
    ['/database', false],
  ])('with roots /srv/app and /data, %s is inside: %s', (target, expected) => {
    expect(isWithinRoots(roots, target)).toBe(expected);
  });

  it('no roots: nothing is inside', () => {
    expect(isWithinRoots([], '/anything')).toBe(false);
  });
});

describe('assertWithinRoots', () => {
  it('inside: does not throw', () => {
    expect(() => assertWithinRoots(['/root'], '/root/a', 'a')).not.toThrow();
  });

  it.each([
    ['..escape', '/etc/passwd', '../etc/passwd'],
    ['sibling prefix', '/root-evil/x', '/root-evil/x'],
  ])('%s: throws workspace.path_outside_roots naming the given path and the roots', (_name, real, display) => {
    const error = thrown(() => assertWithinRoots(['/root', '/other'], real, display));
    expect(error).toBeInstanceOf(DomainError);
    const domainError = error as DomainError;
    expect(domainError.code).toBe('workspace.path_outside_roots');
    expect(domainError.message).toContain(`"${display}"`);
    expect(domainError.message).toContain('/root, /other');
    expect(domainError.details).toEqual({ path: display });
  });
});

describe('assertValidPathInput', () => {
  it.each([
    ['empty path', ''],
    ['NUL byte', 'ok.txt\0../../etc/passwd'],
    ['only a NUL byte', '\0'],
  ])('%s: throws workspace.invalid_path', (_name, input) => {
    const error = thrown(() => assertValidPathInput(input));
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('workspace.invalid_path');
  });

  it.each([['a.txt'], ['/abs/path'], ['../up'], ['with space.txt']])('accepts %s lexically', (input) => {
    expect(() => assertValidPathInput(input)).not.toThrow();
  });
});

describe('toAbsolute', () => {
  it.each([
    ['relative to the base', 'a/b', '/root', '/root/a/b'],
    ['absolute input ignores the base', '/etc/x', '/root', '/etc/x'],
    ['dots are collapsed', 'a/../../b', '/root/sub', '/root/b'],
    ['trailing slash is kept lexically', '/x/y/', '/root', '/x/y/'],
  ])('%s', (_name, input, base, expected) => {
    expect(toAbsolute(input, base)).toBe(expected);
  });
});

describe('long paths in messages', () => {
  it('an outside path of 5000 characters is echoed shortened, start and end kept', () => {
    const long = `/outside/${'d/'.repeat(2500)}secret.txt`;
    const error = domainErrorOf(() => assertWithinRoots(['/srv/root'], long, long));
    expect(error.message.length).toBeLessThan(300);
    expect(error.message).toContain('/outside/d/d/');
    expect(error.message).toContain('secret.txt');
    expect(error.details?.['path']).toBe(`${long.slice(0, 60)}…${long.slice(-20)}`);
  });
});

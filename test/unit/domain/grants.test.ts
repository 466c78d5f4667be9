import { Grants } from '../../../src/domain/auth/grants.js';
import { ANONYMOUS, actorOf, localPrincipal } from '../../../src/domain/auth/principal.js';
import { DomainError } from '../../../src/domain/shared/domain-error.js';

describe('Grants', () => {
  it.each([
    [['tools:read_file'], 'read_file', true],
    [['tools:read_file'], 'write_file', false],
    [['tools:*'], 'execute_command', true],
    [['resources:*', 'prompts:*'], 'read_file', false],
    [[], 'read_file', false],
  ])('allowsTool - %j - %s: %s', (entries, tool, allowed) => {
    expect(Grants.parse(entries).allowsTool(tool)).toBe(allowed);
  });

  it.each([
    [['resources:file'], 'file:///etc/hostname', true],
    [['resources:FILE'], 'File:///x', true],
    [['resources:file'], 'analytics://tool-usage', false],
    [['resources:*'], 'conversation://abc', true],
    [['resources:*'], 'no-scheme-here', false],
  ])('allowsResource - %j - %s: %s', (entries, uri, allowed) => {
    expect(Grants.parse(entries).allowsResource(uri)).toBe(allowed);
  });

  it('allowsPrompt - named and wildcard', () => {
    expect(Grants.parse(['prompts:code_review']).allowsPrompt('code_review')).toBe(true);
    expect(Grants.parse(['prompts:code_review']).allowsPrompt('debug_help')).toBe(false);
    expect(Grants.parse(['prompts:*']).allowsPrompt('debug_help')).toBe(true);
  });

  it.each(['tool:read_file', 'tools:', 'tools', ':x', 'tools:a b', 'resources:1abc', 'admin:*', 'tools:' + 'x'.repeat(129)])(
    'parse - "%s" - refused naming the entry and the forms',
    (entry) => {
      expect(() => Grants.parse([entry])).toThrow(DomainError);
      expect(() => Grants.parse([entry])).toThrow(`"${entry}" is not a grant: expected tools:<name>`);
    },
  );

  it('fromScopes - an OAuth scope string - keeps grant-shaped entries and ignores the rest', () => {
    const grants = Grants.fromScopes('openid tools:read_file  offline_access resources:file');
    expect(grants.toJSON()).toEqual(['tools:read_file', 'resources:file']);
    expect(Grants.fromScopes(undefined).toJSON()).toEqual([]);
    expect(Grants.fromScopes(['prompts:*', 'email']).toJSON()).toEqual(['prompts:*']);
  });

  it('toJSON - wildcards replace names, names sorted; everything and none', () => {
    expect(Grants.parse(['tools:b', 'tools:a', 'tools:*', 'resources:file']).toJSON()).toEqual(['tools:*', 'resources:file']);
    expect(Grants.everything().toJSON()).toEqual(['tools:*', 'resources:*', 'prompts:*']);
    expect(Grants.none().toJSON()).toEqual([]);
  });

  it('requiredFor - names the grant a denial needs', () => {
    expect(Grants.requiredFor('tools', 'execute_command')).toBe('tools:execute_command');
    expect(Grants.requiredFor('resources', 'FILE:///etc')).toBe('resources:file');
    expect(Grants.requiredFor('prompts', 'code_review')).toBe('prompts:code_review');
  });
});

describe('Principal', () => {
  it('anonymous and local - may use everything; actorOf never carries grants or credentials', () => {
    expect(ANONYMOUS.grants.allowsTool('execute_command')).toBe(true);
    const local = localPrincipal('alice');
    expect(local).toMatchObject({ id: 'local:alice', kind: 'local-stdio' });
    expect(actorOf(local)).toEqual({ id: 'local:alice', kind: 'local-stdio' });
    expect(actorOf({ ...local, tenant: 't1' })).toEqual({ id: 'local:alice', kind: 'local-stdio', tenant: 't1' });
    expect(localPrincipal('bob', Grants.parse(['tools:read_file'])).grants.allowsTool('write_file')).toBe(false);
  });
});

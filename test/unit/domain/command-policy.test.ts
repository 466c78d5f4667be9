import { CommandPolicy, type CommandPolicyOptions } from '../../../src/domain/security/command-policy.js';
import { pathLikeArgs } from '../../../src/domain/security/guessed-paths.js';
import { DomainError } from '../../../src/domain/shared/domain-error.js';

const ROOT = '/work/root';
const base: CommandPolicyOptions = {
  allowedCommands: ['ls', 'cat', 'grep', 'echo', 'rm', '/usr/local/bin/tool'],
  blockedCommands: ['rm', 'sudo'],
  unreviewedCommands: ['/usr/local/bin/tool', 'python3', 'mytool'],
  allowShell: false,
  allowPathsOutsideRoots: false,
};

interface Case {
  readonly name: string;
  readonly command: string;
  readonly args?: readonly string[];
  readonly shell?: boolean;
  readonly cwd?: string;
  readonly options?: Partial<CommandPolicyOptions>;
  /** undefined = allowed; otherwise the rule the denial must name. */
  readonly rule?: string;
}

function check(c: Case): void {
  new CommandPolicy({ ...base, ...c.options }).check({
    command: c.command,
    args: c.args ?? [],
    shell: c.shell ?? false,
    cwd: c.cwd ?? ROOT,
    roots: [ROOT],
  });
}

function denial(c: Case): DomainError | undefined {
  try {
    check(c);
    return undefined;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
}

const cases: Case[] = [
  { name: 'allowlisted bare command', command: 'ls', args: ['-la'] },
  { name: 'blocklist wins over allowlist', command: 'rm', rule: 'blocked' },
  { name: 'absolute path of a blocked command, by basename', command: '/bin/rm', options: { allowedCommands: ['*'] }, rule: 'blocked' },
  { name: 'blocked command through the * allowlist', command: 'sudo', options: { allowedCommands: ['*'] }, rule: 'blocked' },
  { name: 'command not in the allowlist', command: 'python3', rule: 'not_allowed' },
  { name: 'allowed program without a rule, not listed as unreviewed', command: 'python3', options: { allowedCommands: ['python3'], unreviewedCommands: [] }, rule: 'unreviewed' },
  { name: '* allows by name, but a program without a rule still needs unreviewed_commands', command: 'node', options: { allowedCommands: ['*'] }, rule: 'unreviewed' },
  { name: '* in unreviewed_commands runs any allowed program unchecked', command: 'node', options: { allowedCommands: ['*'], unreviewedCommands: ['*'] } },
  { name: 'blocked beats unreviewed', command: 'sudo', options: { allowedCommands: ['*'], unreviewedCommands: ['*'] }, rule: 'blocked' },
  { name: 'absolute path of a reviewed program listed verbatim: the rule of its basename applies', command: '/usr/bin/sort', args: ['--compress-program=sh'], options: { allowedCommands: ['/usr/bin/sort'] }, rule: 'option_refused' },
  { name: '* allows any non-blocked command', command: 'python3', options: { allowedCommands: ['*'] } },
  { name: 'relative path with ./', command: './ls', rule: 'relative_path' },
  { name: 'relative path with a directory', command: 'bin/ls', rule: 'relative_path' },
  { name: 'absolute path not listed although the bare name is', command: '/tmp/evil/ls', rule: 'absolute_path_not_listed' },
  { name: 'absolute path listed verbatim', command: '/usr/local/bin/tool' },
  { name: 'empty command', command: '  ', rule: 'empty' },
  { name: 'shell refused by default', command: 'ls | wc -l', shell: true, rule: 'shell_disabled' },
  { name: 'shell allowed when enabled', command: 'ls | wc -l', shell: true, options: { allowShell: true } },
  { name: 'relative path arg inside the root', command: 'cat', args: ['src/a.txt', './b.txt'] },
  { name: 'absolute path arg inside the root', command: 'cat', args: [`${ROOT}/a.txt`] },
  { name: 'the root itself as an arg', command: 'ls', args: [ROOT] },
  { name: 'absolute path arg outside', command: 'cat', args: ['/etc/passwd'], rule: 'path_outside_roots' },
  { name: 'sibling with the root as a string prefix', command: 'cat', args: ['/work/root-evil/x'], rule: 'path_outside_roots' },
  { name: '.. escaping the root', command: 'cat', args: ['../other/x'], rule: 'path_outside_roots' },
  { name: '.. buried in the middle', command: 'cat', args: ['src/../../other'], rule: 'path_outside_roots' },
  { name: '.. staying inside', command: 'cat', args: ['src/../a.txt'] },
  { name: '--opt=/path outside', command: 'grep', args: ['--file=/etc/passwd', 'x'], rule: 'path_outside_roots' },
  { name: 'key=/path outside (unreviewed program: guessed)', command: 'mytool', args: ['if=/etc/shadow'], options: { allowedCommands: ['mytool'] }, rule: 'path_outside_roots' },
  { name: 'glued short option outside (unreviewed program: guessed)', command: 'mytool', args: ['-f/etc/passwd'], options: { allowedCommands: ['mytool'] }, rule: 'path_outside_roots' },
  { name: 'grep pattern that looks like a path is not a path', command: 'grep', args: ['if=/etc/shadow'] },
  { name: 'glued short option outside', command: 'grep', args: ['-f/etc/passwd'], rule: 'path_outside_roots' },
  { name: '--opt=path inside', command: 'grep', args: [`--file=${ROOT}/patterns`, 'x'] },
  { name: '~ counts as outside', command: 'cat', args: ['~/.ssh/id_rsa'], rule: 'path_outside_roots' },
  { name: '~user counts as outside', command: 'cat', args: ['~root/.bashrc'], rule: 'path_outside_roots' },
  { name: 'plain words are not paths', command: 'grep', args: ['-rn', 'needle', '--include=*.ts', '-e', 'a.b'] },
  { name: 'cwd outside the roots', command: 'ls', cwd: '/etc', rule: 'cwd_outside_roots' },
  { name: 'paths outside allowed when configured', command: 'cat', args: ['/etc/passwd', '~/x', '../y'], options: { allowPathsOutsideRoots: true } },
  { name: 'NUL byte in an arg', command: 'cat', args: ['a.txt\0/etc/passwd'], rule: 'nul_byte' },
  { name: 'NUL byte in the command', command: 'ls\0rm', rule: 'nul_byte' },
];

describe('CommandPolicy', () => {
  it.each(cases)('$name', (c) => {
    const error = denial(c);
    if (c.rule === undefined) {
      expect(error).toBeUndefined();
    } else {
      expect(error?.code).toBe('policy.command_denied');
      expect(error?.details?.['rule']).toBe(c.rule);
    }
  });

  it('check - blocked command - message names the command and the setting', () => {
    expect(() => check({ name: '', command: 'rm' })).toThrow('command "rm" is blocked by execution.security.blocked_commands');
  });

  it('check - not allowlisted - message lists what is allowed', () => {
    expect(() => check({ name: '', command: 'python3' })).toThrow(/not in execution\.security\.allowed_commands \(allowed: ls, cat, grep/);
  });

  it('check - path outside - message and details name the argument', () => {
    const error = denial({ name: '', command: 'grep', args: ['x', '--file=/etc/passwd'] });
    expect(error?.message).toContain('"--file=/etc/passwd"');
    expect(error?.details).toEqual({ command: 'grep', rule: 'path_outside_roots', arg: '--file=/etc/passwd' });
  });

  it('check - several roots - a path inside any of them passes', () => {
    const policy = new CommandPolicy(base);
    expect(() => policy.check({ command: 'cat', args: ['/data/b'], shell: false, cwd: ROOT, roots: [ROOT, '/data'] })).not.toThrow();
  });
});

describe('pathLikeArgs', () => {
  it('pathLikeArgs - mixed args - returns only path-like ones, resolved against cwd', () => {
    expect(pathLikeArgs(['-l', './a', '--out=../b', 'word', '/abs', '~/h', 'x/../y'], '/w/r')).toEqual([
      { arg: './a', value: './a', resolved: '/w/r/a' },
      { arg: '--out=../b', value: '../b', resolved: '/w/b' },
      { arg: '/abs', value: '/abs', resolved: '/abs' },
      { arg: '~/h', value: '~/h', resolved: undefined },
      { arg: 'x/../y', value: 'x/../y', resolved: '/w/r/y' },
    ]);
  });
});

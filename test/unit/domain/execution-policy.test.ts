import { dangerousArgument } from '../../../src/domain/security/argument-rules.js';
import { CommandPolicy, type CommandPolicyOptions } from '../../../src/domain/security/command-policy.js';
import { EnvPolicy } from '../../../src/domain/security/env-policy.js';
import { runLimits } from '../../../src/domain/security/resource-limits.js';
import { DomainError } from '../../../src/domain/shared/domain-error.js';

const ROOT = '/work/root';
const REFUSED = ['LD_*', 'DYLD_*', 'NODE_OPTIONS', 'BASH_ENV', 'ENV', 'PYTHONSTARTUP', 'PERL5OPT', 'RUBYOPT', 'BASH_FUNC_*'];

function denialOf(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError, nothing was thrown');
}

describe('argument rules for unreviewed programs', () => {
  const unreviewed = ['find', 'git', 'tar', 'awk', 'python3', 'python3.12', 'node', 'perl', 'ruby', 'timeout', 'nice', 'stdbuf', 'xargs', 'env', 'bash'];
  const policy = (options: Partial<CommandPolicyOptions> = {}) =>
    new CommandPolicy({ allowedCommands: ['*'], blockedCommands: [], unreviewedCommands: unreviewed, allowShell: false, allowPathsOutsideRoots: true, ...options });
  const check = (command: string, args: readonly string[], options?: Partial<CommandPolicyOptions>) =>
    policy(options).check({ command, args, shell: false, cwd: ROOT, roots: [ROOT] });

  it.each([
    ['find', ['.', '-name', '*.ts', '-exec', 'touch', '/tmp/x', ';'], 'find_exec', '-exec'],
    ['find', ['.', '-execdir', 'sh', '{}', '+'], 'find_exec', '-execdir'],
    ['find', ['.', '-delete'], 'find_exec', '-delete'],
    ['/usr/bin/find', ['.', '-okdir', 'id', ';'], 'find_exec', '-okdir'],
    ['git', ['-c', 'core.pager=touch /tmp/x', 'log'], 'git_config', '-c'],
    ['git', ['-ccore.sshCommand=id', 'fetch'], 'git_config', '-ccore.sshCommand=id'],
    ['git', ['--config-env=core.editor=X', 'commit'], 'git_config', '--config-env=core.editor=X'],
    ['git', ['clone', '--upload-pack=touch /tmp/x', 'repo'], 'git_config', '--upload-pack=touch /tmp/x'],
    ['git', ['clone', 'ext::sh -c touch% /tmp/x', 'd'], 'git_config', 'ext::sh -c touch% /tmp/x'],
    ['tar', ['xf', 'a.tar', '--to-command=sh'], 'tar_command', '--to-command=sh'],
    ['tar', ['-I', 'sh -c id', '-xf', 'a.tar'], 'tar_command', '-I'],
    ['tar', ['--checkpoint=1', '--checkpoint-action=exec=id', '-cf', 'a.tar', '.'], 'tar_command', '--checkpoint-action=exec=id'],
    ['awk', ['BEGIN{system("touch /tmp/x")}'], 'awk_system', 'BEGIN{system("touch /tmp/x")}'],
    ['awk', ['BEGIN{print "x" | "sh"}'], 'awk_system', 'BEGIN{print "x" | "sh"}'],
    ['awk', ['BEGIN{"id" | getline v}'], 'awk_system', 'BEGIN{"id" | getline v}'],
    ['python3', ['-c', 'import os'], 'inline_code', '-c'],
    ['python3.12', ['-Ic', 'import os'], 'inline_code', '-Ic'],
    ['node', ['-e', 'process.exit()'], 'inline_code', '-e'],
    ['node', ['--eval=1'], 'inline_code', '--eval=1'],
    ['perl', ['-ne', 'print'], 'inline_code', '-ne'],
    ['ruby', ['-e', 'puts 1'], 'inline_code', '-e'],
    ['bash', ['-lc', 'id'], 'inline_code', '-lc'],
    ['timeout', ['5', 'sh', '-c', 'id'], 'program_indirection', '5'],
    ['nice', ['-n', '5', 'id'], 'program_indirection', '5'],
    ['stdbuf', ['-oL', 'id'], 'program_indirection', 'id'],
    ['xargs', [], 'program_indirection', '(none)'],
    ['env', ['LD_PRELOAD=/x.so', 'id'], 'program_indirection', 'LD_PRELOAD=/x.so'],
  ])('%s %j - refused by rule %s naming %s', (command, args, rule, arg) => {
    const error = denialOf(() => check(command, args));

    expect(error.code).toBe('policy.command_denied');
    expect(error.details).toEqual({ command, rule, arg });
    expect(error.message).toContain(`"${rule}" in execution.security.allowed_argument_rules`);
  });

  it.each([
    ['find', ['.', '-name', '*.ts', '-type', 'f']],
    ['git', ['log', '--oneline', '-n', '3']],
    ['tar', ['-tf', 'a.tar']],
    ['awk', ['{ print $1 }', 'file.txt']],
    ['python3', ['script.py', '--verbose']],
    ['node', ['--version']],
  ])('%s %j - harmless use allowed, decision names unreviewed_allowed', (command, args) => {
    expect(check(command, args).rule).toBe('unreviewed_allowed');
  });

  it('a waived rule - the program runs with it', () => {
    expect(check('find', ['.', '-exec', 'wc', '{}', ';'], { allowedArgumentRules: ['find_exec'] }).rule).toBe('unreviewed_allowed');
    expect(dangerousArgument('find', ['-exec'], new Set(['find_exec']))).toBeUndefined();
  });

  it('a reviewed program - the decision names rule reviewed; a shell line names shell_allowed', () => {
    expect(check('ls', ['-la']).rule).toBe('reviewed');
    expect(policy({ allowShell: true }).check({ command: 'ls | wc', args: [], shell: true, cwd: ROOT, roots: [ROOT] }).rule).toBe('shell_allowed');
  });
});

describe('EnvPolicy', () => {
  const env = new EnvPolicy({ passthrough: ['PATH', 'HOME', 'API_KEY', 'LD_LIBRARY_PATH', 'MISSING'], refused: REFUSED });
  const server = { PATH: '/usr/bin', HOME: '/home/s', API_KEY: 'sk-secret', LD_LIBRARY_PATH: '/opt/lib', DATABASE_PASSWORD: 'pw' };

  it('server env - only allowlisted, non-secret, non-refused names reach the child', () => {
    expect(env.childEnv(server)).toEqual({ PATH: '/usr/bin', HOME: '/home/s' });
  });

  it('caller env - added after the allowlist (overrides it)', () => {
    expect(env.childEnv(server, { LANG: 'C', HOME: '/tmp/h' })).toEqual({ PATH: '/usr/bin', HOME: '/tmp/h', LANG: 'C' });
  });

  it.each([
    ['LD_PRELOAD', 'env_refused'],
    ['ld_preload', 'env_refused'],
    ['LD_AUDIT', 'env_refused'],
    ['DYLD_INSERT_LIBRARIES', 'env_refused'],
    ['NODE_OPTIONS', 'env_refused'],
    ['BASH_ENV', 'env_refused'],
    ['ENV', 'env_refused'],
    ['PYTHONSTARTUP', 'env_refused'],
    ['PERL5OPT', 'env_refused'],
    ['RUBYOPT', 'env_refused'],
    ['BASH_FUNC_ls%%', 'env_invalid_name'],
    ['A=B', 'env_invalid_name'],
    ['', 'env_invalid_name'],
  ])('caller sets %s - refused by rule %s', (name, rule) => {
    const error = denialOf(() => env.childEnv(server, { [name]: 'x' }));

    expect(error.details).toEqual({ rule, env: name });
  });

  it('a NUL byte in a value - refused', () => {
    expect(denialOf(() => env.childEnv({}, { LANG: 'C\0LD_PRELOAD=x' })).details).toMatchObject({ rule: 'env_invalid_name' });
  });
});

describe('runLimits', () => {
  const options = { defaultTimeoutMs: 30_000, maxTimeoutMs: 300_000, maxOutputBytes: 1024 };

  it.each([
    [{}, undefined, 30_000, 300_000],
    [{}, 5_000, 5_000, 300_000],
    [{}, 900_000, 300_000, 300_000],
    [{ maxExecutionTimeMs: 60_000 }, 900_000, 60_000, 60_000],
    [{ maxExecutionTimeMs: 10_000 }, undefined, 10_000, 10_000],
  ])('options %j, caller asks %s - timeout %s, ceiling %s', (extra, requested, timeoutMs, maxTimeoutMs) => {
    expect(runLimits({ ...options, ...extra }, requested)).toMatchObject({ timeoutMs, maxTimeoutMs, maxOutputBytes: 1024 });
  });

  it('resource keys - mapped to the port limits, unset ones absent', () => {
    expect(runLimits({ ...options, maxMemoryBytes: 2 ** 29, maxProcesses: 64 }).limits).toEqual({ maxMemoryBytes: 2 ** 29, maxProcesses: 64 });
    expect(runLimits({ ...options, maxCpus: 0.5 }).limits).toEqual({ maxCpus: 0.5 });
  });
});

import { CommandPolicy, type CommandDecision, type CommandPolicyOptions } from '../../../src/domain/security/command-policy.js';
import { PROGRAM_RULES } from '../../../src/domain/security/program-rules.js';
import { DomainError } from '../../../src/domain/shared/domain-error.js';

const ROOT = '/work/root';
/** The shipped default allowlist (config.schema.ts), plus sleep which the tests of other suites run. */
const DEFAULT_ALLOWED = [
  'echo', 'ls', 'cat', 'head', 'tail', 'wc', 'grep', 'sort', 'uniq', 'cut', 'tr', 'diff', 'stat', 'file',
  'pwd', 'date', 'whoami', 'uname', 'hostname', 'uptime', 'df', 'du', 'ps', 'sha256sum', 'md5sum', 'true', 'false', 'sleep',
];
const base: CommandPolicyOptions = {
  allowedCommands: DEFAULT_ALLOWED,
  blockedCommands: ['sh', 'rm'],
  unreviewedCommands: [],
  allowShell: false,
  allowPathsOutsideRoots: false,
};

type Outcome = { readonly decision: CommandDecision } | { readonly error: DomainError };

function decide(command: string, args: readonly string[], options: Partial<CommandPolicyOptions> = {}): Outcome {
  try {
    return { decision: new CommandPolicy({ ...base, ...options }).check({ command, args, shell: false, cwd: ROOT, roots: [ROOT] }) };
  } catch (error) {
    if (error instanceof DomainError) return { error };
    throw error;
  }
}

/** [argv, rule, text the reason must contain]: argv[0] is the program. */
type Denied = readonly [readonly string[], string, string];

function expectDenied([argv, rule, reason]: Denied, options: Partial<CommandPolicyOptions> = {}): void {
  const [command, ...args] = argv as [string, ...string[]];
  const outcome = decide(command, args, options);
  expect('error' in outcome).toBe(true);
  if (!('error' in outcome)) return;
  expect(outcome.error.code).toBe('policy.command_denied');
  expect(outcome.error.details?.['rule']).toBe(rule);
  expect(outcome.error.message).toContain(reason);
}

function expectAllowed(argv: readonly string[]): CommandDecision {
  const [command, ...args] = argv as [string, ...string[]];
  const outcome = decide(command, args);
  if ('error' in outcome) throw new Error(`expected ${argv.join(' ')} to be allowed, got: ${outcome.error.message}`);
  return outcome.decision;
}

const RUNS = 'runs another program';
const LIST = 'reads a list of file names';

const runsAnotherProgram: Denied[] = [
  [['sort', '--compress-program=sh'], 'option_refused', 'sort: option --compress-program runs another program'],
  [['sort', '--compress-program', 'sh', 'a.txt'], 'option_refused', RUNS],
  [['sort', '--compress-prog=sh'], 'option_refused', 'sort: option --compress-prog (--compress-program) runs another program'],
  [['sort', '--compress=gzip'], 'option_refused', RUNS],
  [['sort', '--comp', 'sh'], 'option_refused', RUNS],
  [['sort', 'a.txt', '-S', '1', '--compress-program=sh'], 'option_refused', RUNS],
  [['sort', '-n', 'a.txt', 'b.txt', '--compress-program', 'python3'], 'option_refused', RUNS],
  [['sort', '--c=sh'], 'option_ambiguous', 'sort: option --c is ambiguous'],
  [['diff', '-l', 'a', 'b'], 'option_refused', 'diff: option -l (--paginate) runs another program (pr)'],
  [['diff', '-ql', 'a', 'b'], 'option_refused', RUNS],
  [['diff', 'a', 'b', '--pag'], 'option_refused', RUNS],
  [['file', '-z', 'a.gz'], 'option_refused', 'file: option -z (--uncompress) runs another program'],
  [['file', '-bZ', 'a.gz'], 'option_refused', RUNS],
  [['file', '--uncompress', 'a.gz'], 'option_refused', RUNS],
  [['file', 'a.gz', '--uncompress-n'], 'option_refused', RUNS],
  [['file', '-m', 'magic', 'a'], 'option_refused', 'file: option -m (--magic-file)'],
  [['file', '-mmagic', 'a'], 'option_refused', '--magic-file'],
  [['file', '--magic=magic', 'a'], 'option_refused', '--magic-file'],
  [['file', '-C', '-m', 'magic'], 'option_refused', 'writes a compiled magic file'],
  [['file', '-S', 'a'], 'option_refused', 'sandbox'],
];

const fileLists: Denied[] = [
  [['sort', '--files0-from=-'], 'option_refused', `sort: option --files0-from ${LIST}`],
  [['sort', '--files0-from', 'list'], 'option_refused', LIST],
  [['sort', '--files0=list'], 'option_refused', '--files0 (--files0-from)'],
  [['sort', '--fil=-'], 'option_refused', LIST],
  [['sort', '--fi=-'], 'option_ambiguous', 'ambiguous'],
  [['wc', '--files0-from=-'], 'option_refused', LIST],
  [['wc', '-l', 'x', '--files0-f', '-'], 'option_refused', LIST],
  [['du', '--files0-from=list'], 'option_refused', LIST],
  [['file', '-f', 'list'], 'option_refused', LIST],
  [['file', '-flist'], 'option_refused', LIST],
  [['file', '-bf-'], 'option_refused', LIST],
  [['file', '--files-from=list'], 'option_refused', LIST],
  [['sha256sum', '-c', 'sums'], 'option_refused', LIST],
  [['sha256sum', '-bc', 'sums'], 'option_refused', LIST],
  [['md5sum', '--check', 'sums'], 'option_refused', LIST],
  [['md5sum', 'sums', '--che'], 'option_refused', LIST],
];

const writesFiles: Denied[] = [
  [['sort', '-o', 'out.txt', 'a.txt'], 'option_refused', 'sort: option -o (--output) writes to a file'],
  [['sort', '-oout.txt', 'a.txt'], 'option_refused', '--output'],
  [['sort', '-o/outside/x', 'a.txt'], 'option_refused', '--output'],
  [['sort', '-ro', 'out.txt'], 'option_refused', '--output'],
  [['sort', 'a.txt', '--output=out.txt'], 'option_refused', '--output'],
  [['sort', 'a.txt', '--out', 'x'], 'option_refused', '--output'],
  [['sort', '-T', '/tmp', 'a.txt'], 'option_refused', 'sort: option -T (--temporary-directory) writes temporary files'],
  [['sort', '-T/tmp', 'a.txt'], 'option_refused', 'temporary files'],
  [['sort', '-rT/tmp'], 'option_refused', 'temporary files'],
  [['sort', '--temporary-directory=/tmp'], 'option_refused', 'temporary files'],
  [['sort', '--temp', '/tmp'], 'option_refused', 'temporary files'],
  [['uniq', 'in.txt', 'out.txt'], 'operand_refused', 'uniq: the second operand "out.txt" names an output file'],
  [['uniq', '-c', 'in.txt', '-d', 'out.txt'], 'operand_refused', 'output file'],
];

const pathValues: Denied[] = [
  [['grep', '-f/etc/passwd', 'x'], 'path_outside_roots', '"-f/etc/passwd"'],
  [['grep', '-if/etc/passwd'], 'path_outside_roots', '/etc/passwd'],
  [['grep', '-e', 'x', '-f', '../outside/p'], 'path_outside_roots', '../outside/p'],
  [['grep', '--file', '/etc/passwd'], 'path_outside_roots', '/etc/passwd'],
  [['grep', 'x', 'a.txt', '--exclude-from=/etc/passwd'], 'path_outside_roots', '/etc/passwd'],
  [['grep', '--fil=/etc/passwd'], 'option_ambiguous', 'ambiguous'],
  [['grep', 'pattern', '/etc/passwd'], 'path_outside_roots', '/etc/passwd'],
  [['grep', '-e', 'pattern', '/etc/passwd'], 'path_outside_roots', '/etc/passwd'],
  [['date', '-f/etc/shadow'], 'path_outside_roots', '/etc/shadow'],
  [['date', '-r', '/etc/passwd'], 'path_outside_roots', '/etc/passwd'],
  [['date', '--ref=/etc/passwd'], 'path_outside_roots', '/etc/passwd'],
  [['du', '-X/etc/passwd', '.'], 'path_outside_roots', '/etc/passwd'],
  [['diff', '-X', '/etc/x', 'a', 'b'], 'path_outside_roots', '/etc/x'],
  [['diff', '--from-file=/etc/passwd', 'a'], 'path_outside_roots', '/etc/passwd'],
  [['diff', 'a', '--to-file', '/etc/passwd'], 'path_outside_roots', '/etc/passwd'],
  [['sort', '--random-source=/etc/shadow', 'a'], 'path_outside_roots', '/etc/shadow'],
  [['head', '-n5', '/etc/passwd'], 'path_outside_roots', '/etc/passwd'],
  [['head', '-5c', '/etc/passwd'], 'path_outside_roots', '/etc/passwd'],
  [['tail', '-n', '3', '/etc/passwd'], 'path_outside_roots', '/etc/passwd'],
  [['tail', '-3f', '/etc/passwd'], 'path_outside_roots', '/etc/passwd'],
  [['cat', '--', '/etc/passwd'], 'path_outside_roots', '/etc/passwd'],
  [['cat', 'a.txt', '-n', '/etc/passwd'], 'path_outside_roots', '/etc/passwd'],
  [['wc', '-l', '../x'], 'path_outside_roots', '../x'],
  [['stat', '-L', '/etc/shadow'], 'path_outside_roots', '/etc/shadow'],
  [['ls', '-la', '/'], 'path_outside_roots', '"/"'],
  [['df', '/'], 'path_outside_roots', '"/"'],
  [['file', '/etc/passwd'], 'path_outside_roots', '/etc/passwd'],
  [['sha256sum', '/etc/shadow'], 'path_outside_roots', '/etc/shadow'],
  [['cut', '-d:', '-f1', '/etc/passwd'], 'path_outside_roots', '/etc/passwd'],
];

const followsSymlinks: Denied[] = [
  [['grep', '-R', 'x', '.'], 'option_refused', 'grep: option -R (--dereference-recursive) follows symbolic links'],
  [['grep', '-rnR', 'x'], 'option_refused', 'follows symbolic links'],
  [['grep', 'x', '--dereference-recursive'], 'option_refused', 'follows symbolic links'],
  [['grep', 'x', '--deref'], 'option_refused', 'follows symbolic links'],
  [['ls', '-LR'], 'combination_refused', 'ls: option -L with -R (--recursive) follows symbolic links'],
  [['ls', '-RL', '.'], 'combination_refused', 'follows symbolic links'],
  [['ls', '-L', 'sub', '-R'], 'combination_refused', 'follows symbolic links'],
  [['ls', '-lLaR'], 'combination_refused', 'follows symbolic links'],
  [['ls', '--dereference', '--recursive'], 'combination_refused', 'follows symbolic links'],
  [['ls', '--recur', '--derefe'], 'option_ambiguous', 'ambiguous'],
  [['du', '-L'], 'option_refused', 'du: option -L (--dereference) follows symbolic links'],
  [['du', '-aLs', '.'], 'option_refused', 'follows symbolic links'],
  [['du', '--dereference', '.'], 'option_refused', 'follows symbolic links'],
];

const changesSystemState: Denied[] = [
  [['date', '-s', '2020-01-01'], 'option_refused', 'date: option -s (--set) sets the system clock'],
  [['date', '-us2020-01-01'], 'option_refused', 'sets the system clock'],
  [['date', '--set=2020-01-01'], 'option_refused', 'sets the system clock'],
  [['date', '--se', 'tomorrow'], 'option_refused', 'sets the system clock'],
  [['date', '0101000020'], 'operand_refused', 'date: the operand "0101000020" sets the system clock'],
  [['date', '-u', '+%s', '0101000020'], 'operand_refused', 'sets the system clock'],
  [['hostname', 'evil'], 'operand_refused', 'hostname: the operand "evil" sets the host name'],
  [['hostname', '-s', 'evil'], 'operand_refused', 'sets the host name'],
  [['hostname', '-b'], 'option_refused', 'hostname: option -b (--boot)'],
  [['hostname', '-F', 'name.txt'], 'option_refused', 'sets the host name from a file'],
  [['hostname', '--file=name.txt'], 'option_refused', 'sets the host name from a file'],
  [['hostname', '--fi', 'name.txt'], 'option_refused', 'sets the host name from a file'],
  [['uname', 'x'], 'operand_refused', 'uname: takes no operands'],
];

const environments: Denied[] = [
  [['ps', 'e'], 'option_refused', 'ps: BSD option e in "e" shows the environment'],
  [['ps', 'ewww'], 'option_refused', 'environment'],
  [['ps', 'auxe'], 'option_refused', 'environment'],
  [['ps', '-ef', 'e'], 'option_refused', 'environment'],
  [['ps', '-E'], 'option_unknown', 'ps: option -E is not one the policy has reviewed'],
  [['ps', 'o', 'pid,environ'], 'option_unknown', 'BSD option o in "o" takes a value; use the dash form (-o)'],
  [['ps', '--form', 'pid'], 'option_unknown', '--form'],
];

const secrets: Denied[] = [
  [['cat', '/proc/self/environ'], 'secret_path', '/proc/self/environ'],
  [['cat', '/proc/1/environ'], 'secret_path', '/proc/1/environ'],
  [['cat', '/proc/4242/mem'], 'secret_path', '/proc/4242/mem'],
  [['cat', '--', '/proc/self/environ'], 'secret_path', '/proc/self/environ'],
  [['cat', '/proc//self/environ'], 'secret_path', '/proc//self/environ'],
  [['cat', '/proc/./self/environ'], 'secret_path', '/proc/./self/environ'],
  [['cat', '/proc/thread-self/environ'], 'secret_path', 'thread-self'],
  [['head', '/proc/self'], 'secret_path', '/proc/self'],
  [['grep', '-f/proc/self/environ', 'x'], 'secret_path', '-f/proc/self/environ'],
  [['grep', '--file=/proc/1/environ', 'x'], 'secret_path', '--file=/proc/1/environ'],
  [['sort', '--random-source=/proc/self/environ'], 'secret_path', '/proc/self/environ'],
  [['echo', '/proc/self/environ'], 'secret_path', '/proc/self/environ'],
  [['cat', '/dev/mem'], 'secret_path', '/dev/mem'],
  [['cat', '/proc/kcore'], 'secret_path', '/proc/kcore'],
];

const unknownOrMalformed: Denied[] = [
  [['cat', '--no-such-option'], 'option_unknown', 'cat: option --no-such-option is not one the policy has reviewed for cat'],
  [['cat', '-X', 'a'], 'option_unknown', 'option -X'],
  [['cat', '--number=3'], 'option_value_unexpected', 'cat: option --number takes no value'],
  [['head', '-n'], 'option_value_missing', 'head: option -n requires a value'],
  [['sort', 'a', '-k'], 'option_value_missing', 'option -k requires a value'],
  [['tail', '---presume-input-pipe'], 'option_unknown', '---presume-input-pipe'],
  [['grep', '--=x'], 'option_unknown', 'option --'],
];

describe('CommandPolicy option rules', () => {
  const classes: [string, Denied[], Partial<CommandPolicyOptions>?][] = [
    ['runs another program', runsAnotherProgram],
    ['reads a file list', fileLists],
    ['writes a file', writesFiles],
    ['names a path outside the roots', pathValues],
    ['follows symlinks while recursing', followsSymlinks],
    ['changes system state', changesSystemState],
    ['shows environments', environments],
    ['names a secret path', secrets],
    ['names a secret path, with paths outside the roots allowed', secrets, { allowPathsOutsideRoots: true }],
    ['is unknown or malformed', unknownOrMalformed],
  ];
  for (const [title, cases, options] of classes) {
    it.each(cases.map((c) => [c[0].join(' '), c] as const))(`check - ${title} - %s is denied`, (_name, c) => expectDenied(c, options));
  }

  it.each([
    ['sort', '-rn', '-k2,2', '-t', ':', 'a.txt', '--', '--compress-program=sh'],
    ['sort', '--check=quiet', 'a.txt'],
    ['grep', '-rn', 'needle', '.', '--include=*.ts'],
    ['grep', '-rn', '-C2', '-5', '-e', 'a', '-e', 'b', 'src'],
    ['grep', '--fixed-s', '/etc/passwd'],
    ['ls', '-la', '-R', 'sub'],
    ['ls', '-lL'],
    ['ls', '--color=never', '-1'],
    ['head', '-5', 'a.txt'],
    ['tail', '-f', 'log.txt'],
    ['tail', '-n', '+2', 'a.txt'],
    ['uniq', '-c', 'a.txt'],
    ['cut', '-d', '/', '-f2', 'a.txt'],
    ['tr', '/', '_'],
    ['wc', '-l', 'a.txt', '-'],
    ['stat', '-c', '%s', 'a.txt'],
    ['file', '-b', '--mime-type', 'a.txt'],
    ['du', '-sh', '.'],
    ['df', '-h', '.'],
    ['date', '+%Y-%m-%d'],
    ['date', '-u', '-d', '@0', '+%s'],
    ['date', '-Iseconds'],
    ['hostname'],
    ['hostname', '-s'],
    ['uname', '-a'],
    ['uptime', '-p'],
    ['whoami'],
    ['pwd', '-P'],
    ['ps', 'aux'],
    ['ps', '-ef'],
    ['ps', '-eo', 'pid,comm', '--sort', 'pid'],
    ['ps', '1,2'],
    ['sha256sum', 'a.txt'],
    ['md5sum', '--tag', 'a.txt'],
    ['echo', '-n', '--compress-program=sh', '/etc/passwd'],
    ['true', '--files0-from=-'],
    ['false'],
    ['sleep', '5'],
  ])('check - reviewed safe use - %s is allowed', (...argv) => {
    expectAllowed(argv);
  });

  it('check - diff - always runs with --no-dereference in front, so links inside directories are not read through', () => {
    expect(expectAllowed(['diff', '-r', 'a', 'b']).args).toEqual(['--no-dereference', '-r', 'a', 'b']);
    expect(expectAllowed(['diff', 'x.txt', 'y.txt']).args).toEqual(['--no-dereference', 'x.txt', 'y.txt']);
  });

  it('check - reviewed program - returns exactly the values it opens as read paths', () => {
    const decision = expectAllowed(['grep', '-n', 'needle', 'a.txt', '--exclude-from=ex.txt', '-', 'sub/b.txt']);
    expect(decision.reviewed).toBe(true);
    expect(decision.args).toEqual(['-n', 'needle', 'a.txt', '--exclude-from=ex.txt', '-', 'sub/b.txt']);
    expect(decision.paths).toEqual([
      { arg: '--exclude-from=ex.txt', value: 'ex.txt', resolved: `${ROOT}/ex.txt`, access: 'read' },
      { arg: 'a.txt', value: 'a.txt', resolved: `${ROOT}/a.txt`, access: 'read' },
      { arg: 'sub/b.txt', value: 'sub/b.txt', resolved: `${ROOT}/sub/b.txt`, access: 'read' },
    ]);
  });

  it('check - grep with -f - every operand is a file and the glued pattern file is a path', () => {
    const decision = expectAllowed(['grep', '-fpats', 'a.txt']);
    expect(decision.paths.map((p) => p.value)).toEqual(['pats', 'a.txt']);
  });

  it('check - tail +N - is checked as a file too (POSIX 2008 reads it as one)', () => {
    expect(expectAllowed(['tail', '+3']).paths.map((p) => p.value)).toEqual(['+3']);
  });

  it('check - text programs - report no paths', () => {
    expect(expectAllowed(['echo', 'a/b', '../c']).paths).toEqual([]);
    expect(expectAllowed(['tr', 'a-z', 'A-Z']).paths).toEqual([]);
    expect(expectAllowed(['date', '+%s']).paths).toEqual([]);
  });

  it('check - unreviewed program listed by the operator - paths are guessed and tagged write', () => {
    const outcome = decide('mytool', ['build', '--out=dist/x'], { allowedCommands: ['mytool'], unreviewedCommands: ['mytool'] });
    expect('decision' in outcome && outcome.decision.reviewed).toBe(false);
    expect('decision' in outcome && outcome.decision.paths).toEqual(expect.arrayContaining([
      { arg: 'build', value: 'build', resolved: `${ROOT}/build`, access: 'write' },
      { arg: '--out=dist/x', value: 'dist/x', resolved: `${ROOT}/dist/x`, access: 'write' },
    ]));
  });

  it('check - program allowed by the operator without a rule - names security.unreviewed_commands', () => {
    expectDenied([['python3', '-c', 'print(1)'], 'unreviewed', 'security.unreviewed_commands'], { allowedCommands: ['python3'] });
  });

  it('table - every default-allowed program has a reviewed rule', () => {
    for (const program of DEFAULT_ALLOWED) expect(PROGRAM_RULES.has(program)).toBe(true);
  });

  it('table - no two options of one program share a short letter or a long name', () => {
    for (const rule of PROGRAM_RULES.values()) {
      const letters = rule.options.flatMap((o) => [...o.short]);
      const names = rule.options.flatMap((o) => o.long);
      expect({ program: rule.name, letters: new Set(letters).size, names: new Set(names).size }).toEqual({ program: rule.name, letters: letters.length, names: names.length });
    }
  });
});

import path from 'node:path';

/**
 * Options that make a program run another program (or arbitrary code) whatever the allow list
 * says. Reviewed programs (program-rules.ts) never accept them; these rules cover programs an
 * operator lets run unreviewed, where nothing else would read their arguments. Each rule can be
 * waived by name in execution.security.allowed_argument_rules.
 */
export type ArgumentRuleName = 'find_exec' | 'git_config' | 'tar_command' | 'awk_system' | 'inline_code' | 'program_indirection';

export interface ArgumentRefusal {
  readonly rule: ArgumentRuleName;
  readonly arg: string;
  readonly reason: string;
}

interface ArgumentRule {
  readonly name: ArgumentRuleName;
  readonly programs: ReadonlySet<string>;
  /** The offending argument, if any. */
  readonly find: (args: readonly string[]) => string | undefined;
  readonly reason: string;
}

const FIND_ACTIONS = new Set(['-exec', '-execdir', '-ok', '-okdir', '-fprint', '-fprint0', '-fprintf', '-fls', '-delete']);
const GIT_OPTIONS = /^(-c|--config-env|--exec-path|--upload-pack|--receive-pack|--exec|-u)(=|$)|^-c./;
const TAR_OPTIONS = /^(--to-command|--use-compress-program|--checkpoint-action|--info-script|--new-volume-script|--rsh-command|-I|-F)(=|$)|^-[A-Za-z]*[IF]/;
/** awk's escapes to the system: system(), and pipes into or out of a command. */
const AWK_ESCAPE = /\bsystem\s*\(|\|\s*(getline\b|")|"\s*\|/;
const INLINE_CODE = /^-[A-Za-z]*[ceEpr][A-Za-z]*$|^--(eval|print|command|exec|execute)(=|$)/;

/** Programs whose first non-option argument is another program to run. */
const WRAPPERS = [
  'env', 'xargs', 'nice', 'ionice', 'timeout', 'stdbuf', 'nohup', 'setsid', 'chroot', 'time', 'taskset', 'flock',
  'watch', 'parallel', 'strace', 'ltrace', 'unshare', 'nsenter', 'runuser', 'sudo', 'doas', 'su', 'busybox',
  'chrt', 'prlimit', 'script', 'setpriv', 'systemd-run', 'firejail', 'proot', 'fakeroot', 'catchsegv', 'valgrind',
];
const INTERPRETERS = [
  'sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'fish', 'csh', 'tcsh', 'python', 'python2', 'python3', 'node', 'nodejs',
  'deno', 'bun', 'perl', 'ruby', 'php', 'lua', 'luajit', 'tclsh', 'wish', 'Rscript', 'R', 'julia', 'pwsh', 'osascript',
  'gdb', 'vim', 'vi', 'nvim', 'emacs', 'ed', 'ex', 'sqlite3', 'jjs', 'groovy', 'scala', 'irb', 'erl', 'elixir',
];

const RULES: readonly ArgumentRule[] = [
  {
    name: 'find_exec',
    programs: new Set(['find', 'gfind', 'bfs']),
    find: (args) => args.find((arg) => FIND_ACTIONS.has(arg)),
    reason: 'find actions (-exec, -execdir, -ok, -delete, -fprint…) run programs or change files',
  },
  {
    name: 'git_config',
    programs: new Set(['git']),
    find: (args) => args.find((arg) => GIT_OPTIONS.test(arg) || /^ext::/.test(arg)),
    reason: 'git -c, --config-env, --upload-pack, --receive-pack and ext:: URLs can make git run any command',
  },
  {
    name: 'tar_command',
    programs: new Set(['tar', 'gtar', 'bsdtar']),
    find: (args) => args.find((arg) => TAR_OPTIONS.test(arg)),
    reason: 'tar --to-command, --use-compress-program (-I), --checkpoint-action and volume scripts run programs',
  },
  {
    name: 'awk_system',
    programs: new Set(['awk', 'gawk', 'mawk', 'nawk', 'busybox-awk']),
    find: (args) => args.find((arg) => AWK_ESCAPE.test(arg)),
    reason: 'an awk program with system() or a pipe to or from a command runs programs',
  },
  {
    name: 'inline_code',
    programs: new Set(INTERPRETERS),
    find: (args) => args.find((arg) => INLINE_CODE.test(arg)),
    reason: 'an interpreter given code on its command line (-c, -e, --eval…) runs whatever that code says',
  },
  {
    name: 'program_indirection',
    programs: new Set(WRAPPERS),
    // Any use: their job is to run the next argument, which the allow list never sees.
    find: (args) => args.find((arg) => !arg.startsWith('-')) ?? args[0] ?? '(none)',
    reason: 'this program runs another program named in its arguments, past the allow list',
  },
];

/** The first argument rule `args` break for `command` (matched by basename, e.g. /usr/bin/find), unless waived. */
export function dangerousArgument(command: string, args: readonly string[], waived: ReadonlySet<string>): ArgumentRefusal | undefined {
  const base = normalized(path.posix.basename(command));
  for (const rule of RULES) {
    if (!rule.programs.has(base) || waived.has(rule.name)) continue;
    const arg = rule.find(args);
    if (arg !== undefined) return { rule: rule.name, arg, reason: rule.reason };
  }
  return undefined;
}

/** python3.12 → python3, perl5.36 → perl: versioned names run the same interpreter. */
function normalized(base: string): string {
  return base.replace(/^(python[23]?|perl|ruby|php|lua)[\d.]+$/, '$1');
}

import { symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OUTSIDE_SECRET, type TempWorkspace } from './temp-workspace.js';

/**
 * The hostile execute_command table, shared by the native policy suite (command-policy-attacks) and
 * the suite that runs it through every execution backend (execution-backends). One table, so a row
 * added for one backend is asked of all of them.
 */

export const DENIED = 'command denied by policy';
export const OUTSIDE = 'path outside allowed roots';

/** The line of the file outside the root; it must never appear in an answer or the server's output. */
export const SENTINEL_TEXT = OUTSIDE_SECRET.trim();
/** Matches the secret's line without being it, so echoed arguments cannot look like a leak. */
export const NEEDLE = SENTINEL_TEXT.slice(4, -4);

/** A row of the policy table: refused before any backend sees it. */
export interface Attack {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly stdin?: string;
  /** What the envelope's `error` and `reason` must say. */
  readonly error: string;
  readonly reason: RegExp;
}

/** Files the policy rows name: a link to the secret outside, and a checksum file listing it. */
export async function addAttackFixtures(ws: TempWorkspace): Promise<void> {
  await symlink(ws.files.outsideSecret, path.join(ws.root, 'secret-link'));
  await writeFile(path.join(ws.root, 'sums.txt'), `0000000000000000000000000000000000000000000000000000000000000000  ${ws.files.outsideSecret}\n`);
}

/** A link to the running server's environment, made once its pid is known. */
export async function addServerEnvironLink(ws: TempWorkspace, serverPid: number): Promise<void> {
  await symlink(`/proc/${serverPid}/environ`, path.join(ws.root, 'environ-link'));
}

/**
 * Option and path attacks on the default allowlist's reviewed programs (issue 16). Each must be refused
 * by the server's policy, whichever backend would have run it.
 */
export function policyAttacks(ws: TempWorkspace, serverPid: number): Attack[] {
  const out = ws.outside;
  const secret = ws.files.outsideSecret;
  const pid = String(serverPid);
  return [
    { name: 'sort --compress-program=sh', command: 'sort', args: ['-S', '1', '--compress-program=sh', 'hello.txt'], error: DENIED, reason: /sort: option --compress-program runs another program/ },
    { name: 'sort --compress-prog=sh (abbreviated)', command: 'sort', args: ['--compress-prog=sh', 'hello.txt'], error: DENIED, reason: /--compress-prog \(--compress-program\) runs another program/ },
    { name: 'sort hello.txt --compress-program sh (permuted)', command: 'sort', args: ['hello.txt', '--compress-program', 'sh'], error: DENIED, reason: /runs another program/ },
    { name: 'sort -T outside (glued)', command: 'sort', args: [`-T${out}`, 'hello.txt'], error: DENIED, reason: /sort: option -T \(--temporary-directory\)/ },
    { name: 'sort -T /tmp', command: 'sort', args: ['-T', '/tmp', 'hello.txt'], error: DENIED, reason: /temporary files/ },
    { name: 'sort --files0-from=- (file list on stdin)', command: 'sort', args: ['--files0-from=-'], stdin: `${secret}\0`, error: DENIED, reason: /--files0-from reads a list of file names/ },
    { name: 'sort -o outside (glued)', command: 'sort', args: [`-o${out}/created.txt`, 'hello.txt'], error: DENIED, reason: /sort: option -o \(--output\) writes to a file/ },
    { name: 'sort hello.txt --out outside (abbreviated, permuted)', command: 'sort', args: ['hello.txt', '--out', `${out}/created.txt`], error: DENIED, reason: /--output/ },
    { name: 'wc --files0-from=-', command: 'wc', args: ['--files0-from=-'], stdin: `${secret}\0`, error: DENIED, reason: /wc: option --files0-from/ },
    { name: 'du --files0-from=-', command: 'du', args: ['--files0-from=-'], stdin: `${secret}\0`, error: DENIED, reason: /du: option --files0-from/ },
    { name: 'file -f - (file list on stdin)', command: 'file', args: ['-f', '-'], stdin: `${secret}\n`, error: DENIED, reason: /file: option -f \(--files-from\)/ },
    { name: 'sha256sum -c (names read from a checksum file)', command: 'sha256sum', args: ['-c', 'sums.txt'], error: DENIED, reason: /sha256sum: option -c \(--check\)/ },
    { name: 'file -z (runs decompressors)', command: 'file', args: ['-z', 'hello.txt'], error: DENIED, reason: /runs another program/ },
    { name: 'diff -l (runs pr)', command: 'diff', args: ['-l', 'hello.txt', 'hello.txt'], error: DENIED, reason: /runs another program \(pr\)/ },
    { name: 'uniq IN OUT (writes outside)', command: 'uniq', args: ['hello.txt', `${out}/created.txt`], error: DENIED, reason: /names an output file/ },
    { name: 'cat a symlink to a file outside', command: 'cat', args: ['secret-link'], error: OUTSIDE, reason: /secret-link/ },
    { name: 'cat through a symlinked directory', command: 'cat', args: ['link-out/secret.txt'], error: OUTSIDE, reason: /link-out/ },
    { name: 'cat -- outside', command: 'cat', args: ['--', secret], error: DENIED, reason: /outside the allowed roots/ },
    { name: 'grep -f<outside> (glued pattern file)', command: 'grep', args: [`-f${secret}`, 'hello.txt'], error: DENIED, reason: /outside the allowed roots/ },
    { name: 'grep -f through a symlink (glued)', command: 'grep', args: ['-fsecret-link', 'hello.txt'], error: OUTSIDE, reason: /secret-link/ },
    { name: 'head -5c <outside> (obsolete count)', command: 'head', args: ['-5c', secret], error: DENIED, reason: /outside the allowed roots/ },
    { name: 'grep -R through a symlink', command: 'grep', args: ['-R', NEEDLE, '.'], error: DENIED, reason: /grep: option -R \(--dereference-recursive\) follows symbolic links/ },
    { name: 'grep -rR (cluster)', command: 'grep', args: ['-rnR', NEEDLE], error: DENIED, reason: /follows symbolic links/ },
    { name: 'ls -LR', command: 'ls', args: ['-LR'], error: DENIED, reason: /ls: option -L with -R/ },
    { name: 'ls --dereference --recursive', command: 'ls', args: ['--dereference', '.', '--recursive'], error: DENIED, reason: /follows symbolic links/ },
    { name: 'du -L', command: 'du', args: ['-aL', '.'], error: DENIED, reason: /du: option -L \(--dereference\)/ },
    { name: 'diff -r into a symlinked directory operand', command: 'diff', args: ['-r', 'link-out', 'nested'], error: OUTSIDE, reason: /link-out/ },
    { name: 'date -s', command: 'date', args: ['-s', '2001-01-01'], error: DENIED, reason: /date: option -s \(--set\) sets the system clock/ },
    { name: 'date MMDDhhmm', command: 'date', args: ['010100002001'], error: DENIED, reason: /sets the system clock/ },
    { name: 'hostname NAME', command: 'hostname', args: ['tfo-pwned'], error: DENIED, reason: /hostname: the operand "tfo-pwned" sets the host name/ },
    { name: 'hostname -F file', command: 'hostname', args: ['-Fhello.txt'], error: DENIED, reason: /sets the host name from a file/ },
    { name: 'ps e', command: 'ps', args: ['e'], error: DENIED, reason: /ps: BSD option e .* shows the environment/ },
    { name: 'ps ewww', command: 'ps', args: ['ewww'], error: DENIED, reason: /environment/ },
    { name: 'ps auxe', command: 'ps', args: ['auxe'], error: DENIED, reason: /environment/ },
    { name: 'ps -E', command: 'ps', args: ['-E'], error: DENIED, reason: /ps: option -E is not one the policy has reviewed/ },
    { name: 'cat /proc/<server pid>/environ', command: 'cat', args: [`/proc/${pid}/environ`], error: DENIED, reason: /process memory or environment/ },
    { name: 'cat /proc/self/environ', command: 'cat', args: ['/proc/self/environ'], error: DENIED, reason: /process memory or environment/ },
    { name: 'grep -a sk- /proc/<server pid>/environ', command: 'grep', args: ['-a', 'sk-', `/proc/${pid}/environ`], error: DENIED, reason: /process memory or environment/ },
    { name: 'grep --file=/proc/<server pid>/environ', command: 'grep', args: [`--file=/proc/${pid}/environ`, 'hello.txt'], error: DENIED, reason: /process memory or environment/ },
    { name: 'cat a symlink to /proc/<server pid>/environ', command: 'cat', args: ['environ-link'], error: OUTSIDE, reason: /environ-link/ },
    { name: 'sh (blocked)', command: 'sh', args: ['-c', `cat ${secret}`], error: DENIED, reason: /blocked by execution\.security\.blocked_commands/ },
    { name: 'python3 (not allowed)', command: 'python3', args: ['-c', 'print(1)'], error: DENIED, reason: /not in execution\.security\.allowed_commands/ },
  ];
}

/**
 * The policy the backend suite runs under: the default lists, plus interpreters and wrappers made
 * runnable unreviewed (and `env`/`xargs` unblocked) so that the argument rules, not the lists, are
 * what must refuse `python3 -c`, `awk system()`, `find -exec` and `env prog`.
 */
export const HOSTILE_UNREVIEWED = ['python3', 'node', 'perl', 'awk', 'find', 'nice', 'timeout', 'stdbuf', 'env', 'xargs', 'yes', 'seq'] as const;

/** Rows of policyAttacks whose outcome assumes the default allowlist (python3 not allowed). */
export function needsDefaultAllowlist(attack: Attack): boolean {
  return (HOSTILE_UNREVIEWED as readonly string[]).includes(attack.command);
}

/** What a row must come to: refused naming the rule, or run with its argv reaching the program intact. */
export type Outcome =
  | { readonly denied: { readonly error: string; readonly rule?: string; readonly reason?: RegExp } }
  | { readonly ran: { readonly exitCode: number; readonly stdout: string } };

export interface HostileRow {
  readonly group: 'chaining' | 'quoting' | 'newlines' | 'interpreters' | 'indirection' | 'flag injection' | 'env injection' | 'symlink escapes';
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly stdin?: string;
  readonly env?: Record<string, string>;
  readonly shell?: boolean;
  readonly cwd?: string;
  readonly outcome: Outcome;
}

/** The file every injection below tries to create; it must exist nowhere afterwards. */
export const SENTINEL_FILE = 'PWNED-sentinel';

/** A file named like an option (for `--` rows) and links that leave the root in other ways. */
export async function addHostileFixtures(ws: TempWorkspace): Promise<void> {
  await writeFile(path.join(ws.root, '-n'), 'a file named -n\n');
  await symlink('/', path.join(ws.root, 'slash-link'));
  await symlink('link-out', path.join(ws.root, 'link-to-link'));
  await symlink('nested/../link-out/secret.txt', path.join(ws.root, 'dotdot-link'));
}

/**
 * Shell syntax, quoting and newlines must reach the program as literal argv (echo prints them back);
 * interpreters and wrappers must be refused by the argument rule that names them; env and symlink
 * escapes by the env and path rules. `sentinel` is the absolute path the injections aim at.
 */
export function hostileRows(sentinel: string): HostileRow[] {
  const S = sentinel;
  const ran = (stdout: string): Outcome => ({ ran: { exitCode: 0, stdout } });
  const denied = (rule: string, reason?: RegExp): Outcome => ({ denied: { error: DENIED, rule, ...(reason ? { reason } : {}) } });
  // The workspace refuses these after resolving links: its envelope is the rule, and the reason names the path.
  const outside = (reason: RegExp): Outcome => ({ denied: { error: OUTSIDE, reason } });
  const echoed = (group: HostileRow['group'], name: string, args: readonly string[]): HostileRow => ({ group, name, command: 'echo', args, outcome: ran(`${args.join(' ')}\n`) });
  return [
    echoed('chaining', 'semicolon', ['a;', 'touch', S]),
    echoed('chaining', '&& and ||', [`a && touch ${S} || touch ${S}`]),
    echoed('chaining', 'pipe', [`a | touch ${S}`]),
    echoed('chaining', '$() substitution', [`$(touch ${S})`]),
    echoed('chaining', 'backtick substitution', [`\`touch ${S}\``]),
    echoed('chaining', 'background &', [`a & touch ${S} &`]),
    echoed('chaining', '${IFS} and variables', [`$HOME\${IFS}touch\${IFS}${S}`]),
    echoed('chaining', 'redirection', [`> ${S}`, `>> ${S}`]),
    echoed('chaining', 'glob', ['*', '?', '[a-z]*']),
    { group: 'chaining', name: 'chain in the program name (no slash)', command: 'echo;id', args: [], outcome: denied('not_allowed') },
    { group: 'chaining', name: 'chain in the program name', command: `echo;touch ${S}`, args: [], outcome: denied('relative_path') },
    { group: 'chaining', name: 'substitution in the program name', command: `$(touch ${S})`, args: [], outcome: denied('relative_path') },
    { group: 'chaining', name: 'shell=true (disabled)', command: `echo a; touch ${S}`, args: [], shell: true, outcome: denied('shell_disabled', /execution\.security\.allow_shell/) },
    echoed('quoting', 'single quote breakout', [`'; touch ${S}; '`]),
    echoed('quoting', 'double quote breakout', [`"; touch ${S}; "`]),
    echoed('quoting', 'escaped quote breakout', [`\\'$(touch ${S})\\'`]),
    echoed('quoting', 'quote-closing apostrophes', ["it's", "'\"'\"'", `''$(touch ${S})''`]),
    echoed('quoting', 'dollar-single-quote', [`$'\\x3b' touch ${S}`]),
    echoed('newlines', 'LF then a command', [`a\ntouch ${S}`]),
    echoed('newlines', 'CRLF then a command', [`a\r\ntouch ${S}\r\n`]),
    echoed('newlines', 'LF in its own argument', ['a', `\ntouch ${S}\n`, 'b']),
    { group: 'newlines', name: 'LF in the program name', command: `echo\ntouch ${S}`, args: [], outcome: denied('relative_path') },
    { group: 'interpreters', name: 'sh -c (blocked)', command: 'sh', args: ['-c', `touch ${S}`], outcome: denied('blocked', /blocked_commands/) },
    { group: 'interpreters', name: 'bash -c (blocked)', command: 'bash', args: ['-c', `touch ${S}`], outcome: denied('blocked') },
    { group: 'interpreters', name: 'python3 -c', command: 'python3', args: ['-c', `open(${JSON.stringify(S)}, "w")`], outcome: denied('inline_code', /interpreter given code/) },
    { group: 'interpreters', name: 'python3 -Ic (clustered)', command: 'python3', args: ['-Ic', `open(${JSON.stringify(S)}, "w")`], outcome: denied('inline_code') },
    { group: 'interpreters', name: 'node -e', command: 'node', args: ['-e', `require("fs").writeFileSync(${JSON.stringify(S)}, "")`], outcome: denied('inline_code') },
    { group: 'interpreters', name: 'node --eval=', command: 'node', args: [`--eval=require("fs").writeFileSync(${JSON.stringify(S)}, "")`], outcome: denied('inline_code') },
    { group: 'interpreters', name: 'perl -e', command: 'perl', args: ['-e', `open(F, ">${S}")`], outcome: denied('inline_code') },
    { group: 'interpreters', name: 'awk BEGIN{system()}', command: 'awk', args: [`BEGIN{system("touch ${S}")}`], outcome: denied('awk_system', /system\(\)/) },
    { group: 'interpreters', name: 'awk print | "sh"', command: 'awk', args: [`BEGIN{print "touch ${S}" | "sh"}`], outcome: denied('awk_system') },
    { group: 'indirection', name: 'env prog', command: 'env', args: ['touch', S], outcome: denied('program_indirection', /runs another program/) },
    { group: 'indirection', name: 'env -i prog', command: 'env', args: ['-i', 'touch', S], outcome: denied('program_indirection') },
    { group: 'indirection', name: 'xargs (program on stdin)', command: 'xargs', args: ['touch'], stdin: S, outcome: denied('program_indirection') },
    { group: 'indirection', name: 'find -exec', command: 'find', args: ['.', '-exec', 'touch', S, ';'], outcome: denied('find_exec', /-exec/) },
    { group: 'indirection', name: 'find -execdir', command: 'find', args: ['.', '-maxdepth', '0', '-execdir', 'touch', S, '+'], outcome: denied('find_exec') },
    { group: 'indirection', name: 'nice', command: 'nice', args: ['-n', '5', 'touch', S], outcome: denied('program_indirection') },
    { group: 'indirection', name: 'timeout', command: 'timeout', args: ['5', 'touch', S], outcome: denied('program_indirection') },
    { group: 'indirection', name: 'stdbuf', command: 'stdbuf', args: ['-o0', 'touch', S], outcome: denied('program_indirection') },
    { group: 'flag injection', name: 'cat -- -n reads the file named -n', command: 'cat', args: ['--', '-n'], outcome: ran('a file named -n\n') },
    { group: 'flag injection', name: 'echo prints option-like words after text', command: 'echo', args: ['x', '--help', '-e', `--output=${S}`], outcome: ran(`x --help -e --output=${S}\n`) },
    { group: 'flag injection', name: 'sort --output= (write)', command: 'sort', args: [`--output=${S}`, 'hello.txt'], outcome: denied('option_refused', /--output writes to a file/) },
    { group: 'flag injection', name: 'sort --compress-program=', command: 'sort', args: ['--compress-program=touch', 'hello.txt'], outcome: denied('option_refused', /runs another program/) },
    { group: 'env injection', name: 'LD_PRELOAD', command: 'echo', args: ['x'], env: { LD_PRELOAD: `${S}.so` }, outcome: denied('env_refused', /LD_PRELOAD/) },
    { group: 'env injection', name: 'NODE_OPTIONS', command: 'echo', args: ['x'], env: { NODE_OPTIONS: `--require ${S}` }, outcome: denied('env_refused', /NODE_OPTIONS/) },
    { group: 'env injection', name: 'BASH_ENV', command: 'echo', args: ['x'], env: { BASH_ENV: S }, outcome: denied('env_refused') },
    { group: 'env injection', name: 'PYTHONSTARTUP', command: 'echo', args: ['x'], env: { PYTHONSTARTUP: S }, outcome: denied('env_refused') },
    { group: 'env injection', name: 'lower-case ld_preload', command: 'echo', args: ['x'], env: { ld_preload: S }, outcome: denied('env_refused') },
    { group: 'env injection', name: 'a name with = and ;', command: 'echo', args: ['x'], env: { 'A=B;touch': S }, outcome: denied('env_invalid_name') },
    { group: 'symlink escapes', name: 'cat a link to /', command: 'cat', args: ['slash-link/etc/hostname'], outcome: outside(/slash-link/) },
    { group: 'symlink escapes', name: 'cat a link to a link out', command: 'cat', args: ['link-to-link/secret.txt'], outcome: outside(/link-to-link/) },
    { group: 'symlink escapes', name: 'cat a link with .. inside', command: 'cat', args: ['dotdot-link'], outcome: outside(/dotdot-link/) },
    { group: 'symlink escapes', name: 'cwd through a link out', command: 'ls', args: [], cwd: 'link-out', outcome: outside(/link-out/) },
    { group: 'symlink escapes', name: 'ls a link to / (operand)', command: 'ls', args: ['slash-link/'], outcome: outside(/slash-link/) },
  ];
}

import path from 'node:path';
import { DomainError } from '../shared/domain-error.js';
import { isWithinRoots } from '../workspace/path-containment.js';
import { dangerousArgument } from './argument-rules.js';
import { guessedPaths } from './guessed-paths.js';
import { PROGRAM_RULES } from './program-rules.js';
import { reviewArguments } from './program-review.js';
import { isSecretPath, mentionsSecretPath } from './secret-paths.js';

export interface CommandPolicyOptions {
  readonly allowedCommands: readonly string[];
  readonly blockedCommands: readonly string[];
  /** Allowed programs without a rule that may run anyway, their options unchecked ("*" = all of them). */
  readonly unreviewedCommands: readonly string[];
  readonly allowShell: boolean;
  readonly allowPathsOutsideRoots: boolean;
  /** Argument rules (argument-rules.ts) waived for unreviewed programs; none by default. */
  readonly allowedArgumentRules?: readonly string[];
}

export interface CommandRequest {
  readonly command: string;
  readonly args: readonly string[];
  readonly shell: boolean;
  /** Absolute working directory the command will run in; relative path args resolve against it. */
  readonly cwd: string;
  readonly roots: readonly string[];
}

/** An argument value that names a file. */
export interface PathUse {
  readonly arg: string;
  readonly value: string;
  /** Lexically absolute (against cwd); undefined for `~` paths, whose home we cannot know. */
  readonly resolved: string | undefined;
  /** `write` for guesses about unreviewed programs and shell lines, which may create what they name. */
  readonly access: 'read' | 'write';
}

export interface CommandDecision {
  /** What to run: the caller's arguments, after any the rule puts in front (diff --no-dereference). */
  readonly args: readonly string[];
  /**
   * Every value that names a file. Pure code cannot see symlinks, so the caller resolves each one
   * through them and refuses what lands outside the roots (or on a secret path).
   */
  readonly paths: readonly PathUse[];
  /** False for shell lines and unreviewed programs: their paths are guesses. */
  readonly reviewed: boolean;
  /** The rule that allowed it (what the audit records): `reviewed`, `unreviewed_allowed` or `shell_allowed`. */
  readonly rule: 'reviewed' | 'unreviewed_allowed' | 'shell_allowed';
}

const WILDCARD = '*';

/**
 * Decides whether a program may run, and with which arguments. Pure: it sees only strings. A program
 * runs only with a reviewed option rule (see program-rules.ts) or when the operator lists it in
 * execution.security.unreviewed_commands; blocked_commands beats both.
 */
export class CommandPolicy {
  private readonly allowed: ReadonlySet<string>;
  private readonly blocked: ReadonlySet<string>;
  private readonly unreviewed: ReadonlySet<string>;
  private readonly waivedArgumentRules: ReadonlySet<string>;

  constructor(private readonly options: CommandPolicyOptions) {
    this.allowed = new Set(options.allowedCommands);
    // Entries are compared by basename too, so blocking `/bin/rm` also blocks a bare `rm`.
    this.blocked = new Set(options.blockedCommands.flatMap((entry) => [entry, path.posix.basename(entry)]));
    this.unreviewed = new Set(options.unreviewedCommands);
    this.waivedArgumentRules = new Set(options.allowedArgumentRules ?? []);
  }

  get allowPathsOutsideRoots(): boolean {
    return this.options.allowPathsOutsideRoots;
  }

  get allowedCommands(): readonly string[] {
    return this.options.allowedCommands;
  }

  /** Throws DomainError('policy.command_denied') naming the first rule the request breaks. */
  check(request: CommandRequest): CommandDecision {
    checkNulBytes(request);
    const decision = request.shell ? this.shellDecision(request) : this.programDecision(request);
    checkSecrets(request, decision);
    if (!this.options.allowPathsOutsideRoots) checkPaths(request, decision);
    return decision;
  }

  private shellDecision(request: CommandRequest): CommandDecision {
    // A shell line can run anything, so the lists cannot be enforced on it: allow_shell is the gate.
    if (!this.options.allowShell) {
      deny('shell execution is disabled by execution.security.allow_shell; pass a program in "command" and its arguments in "args"', request.command, 'shell_disabled');
    }
    return { args: request.args, paths: guesses(request.args, request.cwd), reviewed: false, rule: 'shell_allowed' };
  }

  private programDecision(request: CommandRequest): CommandDecision {
    const { command } = request;
    this.checkProgram(command);
    const base = path.posix.basename(command);
    const rule = PROGRAM_RULES.get(base);
    if (rule) {
      const review = reviewArguments(rule, request.args);
      if (!review.ok) deny(review.refusal.reason, command, review.refusal.rule, review.refusal.arg);
      const paths = review.paths.map(({ arg, value }) => ({ arg, value, resolved: resolveLexically(request.cwd, value), access: 'read' as const }));
      return { args: review.args, paths, reviewed: true, rule: 'reviewed' };
    }
    if (this.unreviewed.has(WILDCARD) || this.unreviewed.has(command) || this.unreviewed.has(base)) {
      // Nothing reads an unreviewed program's options, except the few that run other programs.
      const refusal = dangerousArgument(command, request.args, this.waivedArgumentRules);
      if (refusal) {
        deny(`${refusal.reason}; an operator who accepts that may list "${refusal.rule}" in execution.security.allowed_argument_rules`, command, refusal.rule, refusal.arg);
      }
      return { args: request.args, paths: guesses(request.args, request.cwd), reviewed: false, rule: 'unreviewed_allowed' };
    }
    return deny(
      `command "${command}" has no reviewed option rule, so its options could run programs or open files unchecked; ` +
        'an operator who accepts that may list it in execution.security.unreviewed_commands',
      command,
      'unreviewed',
    );
  }

  private checkProgram(command: string): void {
    if (command.trim() === '') deny('command must name a program', command, 'empty');
    const base = path.posix.basename(command);
    if (this.blocked.has(command) || this.blocked.has(base)) {
      deny(`command "${command}" is blocked by execution.security.blocked_commands`, command, 'blocked');
    }
    const wildcard = this.allowed.has(WILDCARD);
    if (command.includes('/') && !path.posix.isAbsolute(command)) {
      // A relative path runs whatever sits in the working directory, which the model can write to.
      deny(`command "${command}" is a relative path; use a bare program name or an absolute path listed in execution.security.allowed_commands`, command, 'relative_path');
    }
    if (path.posix.isAbsolute(command) && !wildcard && !this.allowed.has(command)) {
      // A bare allowed name must not vouch for a same-named binary elsewhere (`/tmp/evil/ls`).
      deny(`command "${command}" is an absolute path not listed verbatim in execution.security.allowed_commands; use the bare program name instead`, command, 'absolute_path_not_listed');
    }
    if (!wildcard && !this.allowed.has(command)) {
      deny(`command "${command}" is not in execution.security.allowed_commands (allowed: ${summarize(this.options.allowedCommands)})`, command, 'not_allowed');
    }
  }
}

function guesses(args: readonly string[], cwd: string): PathUse[] {
  return guessedPaths(args, cwd).map((candidate) => ({ ...candidate, access: 'write' as const }));
}

/** Programs run without a shell do not expand `~`, but a path through someone's home is not ours to allow. */
function resolveLexically(cwd: string, value: string): string | undefined {
  return value.startsWith('~') ? undefined : path.resolve(cwd, value);
}

function checkNulBytes(request: CommandRequest): void {
  if (request.command.includes('\0') || request.args.some((arg) => arg.includes('\0'))) {
    deny('command and arguments must not contain NUL bytes', request.command.replaceAll('\0', '\\0'), 'nul_byte');
  }
}

/** Applies even when paths outside the roots are allowed: these expose the server's own secrets. */
function checkSecrets(request: CommandRequest, decision: CommandDecision): void {
  const texts = [request.command, ...request.args];
  const named = decision.paths.filter((use) => use.resolved !== undefined && isSecretPath(use.resolved)).map((use) => use.arg);
  const offending = texts.find(mentionsSecretPath) ?? named[0];
  if (offending !== undefined) {
    deny(
      `argument "${offending}" names process memory or environment (/proc/self, /proc/<pid>, /dev/mem…), which may hold the server's secrets`,
      request.command,
      'secret_path',
      offending,
    );
  }
}

function checkPaths(request: CommandRequest, decision: CommandDecision): void {
  if (!isWithinRoots(request.roots, path.resolve(request.cwd))) {
    deny(`working directory "${request.cwd}" is outside the allowed roots`, request.command, 'cwd_outside_roots');
  }
  for (const use of decision.paths) {
    if (use.resolved === undefined || !isWithinRoots(request.roots, use.resolved)) {
      deny(
        `argument "${use.arg}" names a path outside the allowed roots (${request.roots.join(', ')}); execution.security.allow_paths_outside_roots is false`,
        request.command,
        'path_outside_roots',
        use.arg,
      );
    }
  }
}

function summarize(commands: readonly string[]): string {
  if (commands.length === 0) return 'none';
  const shown = commands.slice(0, 40).join(', ');
  return commands.length > 40 ? `${shown}, …` : shown;
}

function deny(message: string, command: string, rule: string, arg?: string): never {
  throw new DomainError('policy.command_denied', message, arg === undefined ? { command, rule } : { command, rule, arg });
}

import path from 'node:path';
import { DomainError } from '../shared/domain-error.js';
import { isWithinRoots } from '../workspace/path-containment.js';

export interface CommandPolicyOptions {
  readonly allowedCommands: readonly string[];
  readonly blockedCommands: readonly string[];
  readonly allowShell: boolean;
  readonly allowPathsOutsideRoots: boolean;
}

export interface CommandRequest {
  readonly command: string;
  readonly args: readonly string[];
  readonly shell: boolean;
  /** Absolute working directory the command will run in; relative path args resolve against it. */
  readonly cwd: string;
  readonly roots: readonly string[];
}

/** An argument that names a file system path. `resolved` is undefined for `~` paths (home of whoever runs it). */
export interface PathLikeArg {
  readonly arg: string;
  readonly value: string;
  readonly resolved: string | undefined;
}

const WILDCARD = '*';
/** `key=value` and `--key=value`: the value is what a program opens. */
const ASSIGNMENT = /^-{0,2}[A-Za-z0-9][\w.-]*=/;
/** `-f/etc/passwd`, `-I../include`: short options with the value glued on. */
const GLUED_SHORT_OPTION = /^-[A-Za-z0-9]+([/~.].*)$/;

/**
 * Decides whether a program may run. Pure: it sees only strings, so symlinks are the caller's job
 * (the tool realpath-checks `pathLikeArgs` through the Workspace as well).
 */
export class CommandPolicy {
  private readonly allowed: ReadonlySet<string>;
  private readonly blocked: ReadonlySet<string>;

  constructor(private readonly options: CommandPolicyOptions) {
    this.allowed = new Set(options.allowedCommands);
    // Entries are compared by basename too, so blocking `/bin/rm` also blocks a bare `rm`.
    this.blocked = new Set(options.blockedCommands.flatMap((entry) => [entry, path.posix.basename(entry)]));
  }

  get allowPathsOutsideRoots(): boolean {
    return this.options.allowPathsOutsideRoots;
  }

  get allowedCommands(): readonly string[] {
    return this.options.allowedCommands;
  }

  /** Throws DomainError('policy.command_denied') naming the first rule the request breaks. */
  check(request: CommandRequest): void {
    this.checkNulBytes(request);
    if (request.shell) {
      // A shell line can run anything, so the lists cannot be enforced on it: allow_shell is the gate.
      if (!this.options.allowShell) {
        deny('shell execution is disabled by security.allow_shell; pass a program in "command" and its arguments in "args"', request.command, 'shell_disabled');
      }
    } else {
      this.checkProgram(request.command);
    }
    if (!this.options.allowPathsOutsideRoots) this.checkPaths(request);
  }

  private checkNulBytes(request: CommandRequest): void {
    if (request.command.includes('\0') || request.args.some((arg) => arg.includes('\0'))) {
      deny('command and arguments must not contain NUL bytes', request.command.replaceAll('\0', '\\0'), 'nul_byte');
    }
  }

  private checkProgram(command: string): void {
    if (command.trim() === '') deny('command must name a program', command, 'empty');
    const base = path.posix.basename(command);
    if (this.blocked.has(command) || this.blocked.has(base)) {
      deny(`command "${command}" is blocked by security.blocked_commands`, command, 'blocked');
    }
    const wildcard = this.allowed.has(WILDCARD);
    if (command.includes('/') && !path.posix.isAbsolute(command)) {
      // A relative path runs whatever sits in the working directory, which the model can write to.
      deny(`command "${command}" is a relative path; use a bare program name or an absolute path listed in security.allowed_commands`, command, 'relative_path');
    }
    if (path.posix.isAbsolute(command) && !wildcard && !this.allowed.has(command)) {
      // A bare allowed name must not vouch for a same-named binary elsewhere (`/tmp/evil/ls`).
      deny(`command "${command}" is an absolute path not listed verbatim in security.allowed_commands; use the bare program name instead`, command, 'absolute_path_not_listed');
    }
    if (!wildcard && !this.allowed.has(command)) {
      deny(`command "${command}" is not in security.allowed_commands (allowed: ${summarize(this.options.allowedCommands)})`, command, 'not_allowed');
    }
  }

  private checkPaths(request: CommandRequest): void {
    if (!isWithinRoots(request.roots, path.resolve(request.cwd))) {
      deny(`working directory "${request.cwd}" is outside the allowed roots`, request.command, 'cwd_outside_roots');
    }
    for (const candidate of pathLikeArgs(request.args, request.cwd)) {
      if (candidate.resolved === undefined || !isWithinRoots(request.roots, candidate.resolved)) {
        deny(
          `argument "${candidate.arg}" names a path outside the allowed roots (${request.roots.join(', ')}); security.allow_paths_outside_roots is false`,
          request.command,
          'path_outside_roots',
          candidate.arg,
        );
      }
    }
  }
}

/** The arguments that look like file system paths, resolved lexically against `cwd`. */
export function pathLikeArgs(args: readonly string[], cwd: string): PathLikeArg[] {
  const found: PathLikeArg[] = [];
  for (const arg of args) {
    const value = pathValueOf(arg);
    if (value === undefined) continue;
    // `~` and `~user` expand to some home directory we cannot see from here: treat them as outside.
    const resolved = value.startsWith('~') ? undefined : path.resolve(cwd, value);
    found.push({ arg, value, resolved });
  }
  return found;
}

function pathValueOf(arg: string): string | undefined {
  if (looksLikePath(arg)) return arg;
  const assignment = ASSIGNMENT.exec(arg);
  if (assignment) {
    const value = arg.slice(assignment[0].length);
    return looksLikePath(value) ? value : undefined;
  }
  const glued = GLUED_SHORT_OPTION.exec(arg);
  if (glued && looksLikePath(glued[1])) return glued[1];
  return undefined;
}

function looksLikePath(value: string): boolean {
  if (value.startsWith('/') || value.startsWith('~') || value.startsWith('./') || value.startsWith('../')) return true;
  return value.split('/').includes('..');
}

function summarize(commands: readonly string[]): string {
  if (commands.length === 0) return 'none';
  const shown = commands.slice(0, 40).join(', ');
  return commands.length > 40 ? `${shown}, …` : shown;
}

function deny(message: string, command: string, rule: string, arg?: string): never {
  throw new DomainError('policy.command_denied', message, arg === undefined ? { command, rule } : { command, rule, arg });
}

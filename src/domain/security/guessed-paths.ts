import path from 'node:path';

/** An argument that names a file system path. `resolved` is undefined for `~` paths (home of whoever runs it). */
export interface PathLikeArg {
  readonly arg: string;
  readonly value: string;
  readonly resolved: string | undefined;
}

/** `key=value` and `--key=value`: the value is what a program opens. */
const ASSIGNMENT = /^-{0,2}[A-Za-z0-9][\w.-]*=/;
/** `-f/etc/passwd`, `-I../include`: short options with the value glued on. */
const GLUED_SHORT_OPTION = /^-[A-Za-z0-9]+([/~.].*)$/;

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

/**
 * For a program without a rule, every argument that could name a file: the path-like ones, plain
 * words and `key=value` values (`escape/x` looks harmless until `escape` is a symlink to /etc).
 */
export function guessedPaths(args: readonly string[], cwd: string): PathLikeArg[] {
  const found = pathLikeArgs(args, cwd);
  const seen = new Set(found.map((candidate) => `${candidate.arg}\0${candidate.value}`));
  const add = (arg: string, value: string): void => {
    if (seen.has(`${arg}\0${value}`)) return;
    seen.add(`${arg}\0${value}`);
    found.push({ arg, value, resolved: path.resolve(cwd, value) });
  };
  for (const arg of args) {
    if (arg !== '' && !arg.startsWith('-')) add(arg, arg);
    const equals = arg.indexOf('=');
    if (equals >= 0 && equals < arg.length - 1) add(arg, arg.slice(equals + 1));
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
  if (glued && looksLikePath(glued[1] as string)) return glued[1];
  return undefined;
}

function looksLikePath(value: string): boolean {
  if (value.startsWith('/') || value.startsWith('~') || value.startsWith('./') || value.startsWith('../')) return true;
  return value.split('/').includes('..');
}

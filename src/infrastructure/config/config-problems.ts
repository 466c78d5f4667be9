import type { z } from 'zod';
import { ConfigError } from './config-error.js';
import { describeKeySource, describeValueSource, shownValue, type KeyPath, type SourceIndex } from './config-sources.js';

/** zod's default wording made plain; messages set in the schema (integer ranges) take precedence. */
export const plainMessages: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'boolean') return 'expected true or false';
      if (issue.expected === 'object') return 'expected a section of keys, not a single value';
      if (issue.expected === 'array') return 'expected a list';
      if (issue.expected === 'string') return 'expected text';
      return issue.expected === 'number' || issue.expected === 'int' ? 'expected a number' : undefined;
    case 'invalid_value':
      return `expected one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_format':
      if (issue.format === 'url') return 'expected a URL such as https://host:port';
      return issue.format === 'regex' ? `expected text matching ${issue.pattern}` : undefined;
    case 'too_small':
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? 'must not be empty' : `expected at least ${issue.minimum} characters`;
      return issue.origin === 'array' ? `expected at least ${issue.minimum} item(s)` : undefined;
    default:
      return undefined;
  }
};

/** Every problem of a failed parse, each named by its key and by where the bad value (or key) came from. */
export function configProblems(error: z.ZodError, input: unknown, sources: SourceIndex, schema: z.core.$ZodType): ConfigError[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((name) => unknownKey(issue.path, name, sources, keysAt(schema, issue.path)))
      : [badValue(issue, input, sources)],
  );
}

function unknownKey(parent: KeyPath, name: string, sources: SourceIndex, known: readonly string[]): ConfigError {
  const key = [...parent, name].map(String).join('.');
  const what = parent.length === 0 ? `unknown section "${name}"` : `unknown key "${name}" in ${parent.map(String).join('.')}`;
  const suggestion = closest(name, known);
  return new ConfigError(key, suggestion ? `${what} (did you mean ${suggestion}?)` : what, describeKeySource(sources.sourceOf([...parent, name]), key));
}

function badValue(issue: z.core.$ZodIssue, input: unknown, sources: SourceIndex): ConfigError {
  const key = issue.path.map(String).join('.') || '(root)';
  const source = sources.sourceOf(issue.path);
  // A flag or variable is named with its value already; a file line is not, so say what it holds.
  const shown = source?.kind === 'file' ? scalarShown(key, valueAt(input, issue.path)) : undefined;
  return new ConfigError(key, shown ? `${issue.message}, got ${shown}` : issue.message, describeValueSource(source, key));
}

function scalarShown(key: string, value: unknown): string | undefined {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value) ? shownValue(key, value) : undefined;
}

function valueAt(input: unknown, path: KeyPath): unknown {
  let node = input;
  for (const key of path) node = node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined;
  return node;
}

type Def = { type: string; innerType?: z.core.$ZodType; out?: z.core.$ZodType; shape?: Record<string, z.core.$ZodType> };

/** The keys the schema knows at `path`, looking through defaults, optionals, preprocessing and z.lazy (sections built on use). */
export function keysAt(schema: z.core.$ZodType, path: KeyPath): string[] {
  let node: z.core.$ZodType | undefined = schema;
  for (let depth = 0; node !== undefined; depth++) {
    for (let inner = innerOf(node); inner !== undefined; inner = innerOf(node)) node = inner;
    const def = node._zod.def as Def;
    if (depth === path.length) return def.shape ? Object.keys(def.shape) : [];
    node = def.shape?.[String(path[depth])];
  }
  return [];
}

/** The schema `node` wraps, if it is a wrapper: a default, an optional, a pipe's output, a lazy's built schema. */
function innerOf(node: z.core.$ZodType): z.core.$ZodType | undefined {
  const def = node._zod.def as Def;
  if (def.type === 'lazy') return (node as z.core.$ZodLazy)._zod.innerType;
  return def.innerType ?? (def.type === 'pipe' ? def.out : undefined);
}

/** The one known key within two edits of `name`, if exactly one is closest. */
export function closest(name: string, known: readonly string[]): string | undefined {
  const scored = known.map((key) => ({ key, distance: editDistance(name, key) })).filter(({ distance }) => distance <= 2);
  const best = Math.min(...scored.map(({ distance }) => distance));
  const winners = scored.filter(({ distance }) => distance === best);
  return winners.length === 1 ? winners[0].key : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

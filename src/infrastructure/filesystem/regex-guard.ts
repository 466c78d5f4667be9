import { DomainError } from '../../domain/shared/domain-error.js';

/**
 * V8's regex engine backtracks, so a model-supplied pattern can pin the event loop for minutes
 * ("catastrophic backtracking"). We cannot interrupt a running RegExp, so risky shapes are refused
 * before compiling: long patterns, backreferences, and repeated groups that themselves contain a
 * quantifier or an alternation — (a+)+, (a*)*, (a|aa)+ — the classic exponential cases.
 */
export const MAX_REGEX_LENGTH = 256;

interface GroupScan {
  hasQuantifier: boolean;
  hasAlternation: boolean;
}

function refuse(message: string): DomainError {
  return new DomainError('value.invalid', `regular expression refused: ${message}`);
}

/** Index of the `]` closing the class that opens at `start` (escapes honoured). */
function endOfClass(source: string, start: number): number {
  for (let i = start + 1; i < source.length; i += 1) {
    if (source[i] === '\\') i += 1;
    else if (source[i] === ']') return i;
  }
  return source.length;
}

/** Index of the last character of a group's prefix: "(", "(?:", "(?=", "(?<=", "(?<name>". */
function endOfGroupPrefix(source: string, open: number): number {
  if (source[open + 1] !== '?') return open;
  const marker = open + 2;
  if (source[marker] !== '<') return marker;
  if (source[marker + 1] === '=' || source[marker + 1] === '!') return marker + 1;
  const close = source.indexOf('>', marker);
  return close === -1 ? source.length : close;
}

/** A quantifier that lets a group repeat more than once: *, +, {n}, {n,}, {n,m}. */
function repeatsAt(source: string, index: number): boolean {
  const char = source[index];
  return char === '*' || char === '+' || (char === '{' && /^\{\d+(,\d*)?\}/.test(source.slice(index)));
}

function isQuantifierAt(source: string, index: number): boolean {
  return source[index] === '?' || repeatsAt(source, index);
}

function assertNoRunawayShapes(source: string): void {
  const stack: GroupScan[] = [{ hasQuantifier: false, hasAlternation: false }];
  for (let i = 0; i < source.length; i += 1) {
    const char = source[i];
    const current = stack[stack.length - 1];
    if (char === '\\') {
      const next = source[i + 1] ?? '';
      if (/[1-9]/.test(next) || (next === 'k' && source[i + 2] === '<')) throw refuse('backreferences are not supported');
      i += 1;
    } else if (char === '[') {
      i = endOfClass(source, i);
    } else if (char === '(') {
      stack.push({ hasQuantifier: false, hasAlternation: false });
      i = endOfGroupPrefix(source, i);
    } else if (char === ')' && stack.length > 1) {
      const group = stack.pop() as GroupScan;
      const parent = stack[stack.length - 1];
      if (repeatsAt(source, i + 1) && (group.hasQuantifier || group.hasAlternation)) {
        throw refuse('a repeated group may not contain quantifiers or alternatives, e.g. (a+)+ or (a|aa)+; remove the outer repetition');
      }
      parent.hasQuantifier ||= group.hasQuantifier || isQuantifierAt(source, i + 1);
      parent.hasAlternation ||= group.hasAlternation;
    } else if (char === '|') {
      current.hasAlternation = true;
    } else if (isQuantifierAt(source, i)) {
      current.hasQuantifier = true;
    }
  }
}

/** Compiles a model-supplied pattern after refusing shapes that could backtrack without end. */
export function compileSafeRegex(source: string, caseSensitive: boolean): RegExp {
  if (source.length > MAX_REGEX_LENGTH) {
    throw refuse(`it is ${source.length} characters long; the limit is ${MAX_REGEX_LENGTH}`);
  }
  assertNoRunawayShapes(source);
  try {
    return new RegExp(source, caseSensitive ? '' : 'i');
  } catch {
    throw new DomainError('value.invalid', `"${source}" is not a valid JavaScript regular expression`);
  }
}

import { RE2JS } from 're2js';
import { DomainError } from '../../domain/shared/domain-error.js';
import { compileLinearRegex, MAX_PROGRAM_SIZE, refusePattern, tooLarge, type LinearRegex } from './linear-regex.js';

/**
 * Content regexes run on RE2 (linear-regex.ts), which cannot backtrack, so the shapes refused here
 * are no longer a danger to the event loop. They stay refused because the search_files contract
 * promises it ("no backreferences or nested quantifiers"), and RE2 lacks backreferences and
 * lookaround anyway; refusing them here names the construct instead of an RE2 parse error.
 */
export const MAX_REGEX_LENGTH = 256;
const KIND = 'regular expression';

interface GroupScan {
  hasQuantifier: boolean;
  hasAlternation: boolean;
}

/** Index of the `]` closing the class that opens at `start` (escapes honoured). */
function endOfClass(source: string, start: number): number {
  for (let i = start + 1; i < source.length; i += 1) {
    if (source[i] === '\\') i += 1;
    else if (source[i] === ']') return i;
  }
  return source.length;
}

/** Index of the last character of an escape: `\d`, `\p{L}`, `\u{1F600}`. */
function endOfEscape(source: string, start: number): number {
  if ('pPux'.includes(source[start + 1] ?? '') && source[start + 2] === '{') {
    const close = source.indexOf('}', start);
    return close === -1 ? source.length : close;
  }
  return start + 1;
}

/** Index of the last character of a group's prefix: "(", "(?:", "(?<name>"; lookaround is refused. */
function endOfGroupPrefix(source: string, open: number): number {
  if (source[open + 1] !== '?') return open;
  const marker = open + 2;
  if (source[marker] === '=' || source[marker] === '!' || (source[marker] === '<' && '=!'.includes(source[marker + 1] ?? ''))) {
    throw refusePattern(KIND, 'lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported by the linear-time engine');
  }
  if (source[marker] !== '<') return marker;
  const close = source.indexOf('>', marker);
  return close === -1 ? source.length : close;
}

/** The largest count a `{n}`, `{n,}` or `{n,m}` at `index` allows, and where it ends; undefined if not one. */
function countedRepeatAt(source: string, index: number): { max: number; end: number } | undefined {
  const match = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(index, index + 16));
  if (match === null) return undefined;
  const low = Number(match[1]);
  const max = match[2] === undefined ? low : match[3] === '' ? low + 1 : Number(match[3]);
  return { max, end: index + match[0].length - 1 };
}

function repeatsAt(source: string, index: number): boolean {
  return source[index] === '*' || source[index] === '+' || countedRepeatAt(source, index) !== undefined;
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
      if (/[1-9]/.test(next) || (next === 'k' && source[i + 2] === '<')) throw refusePattern(KIND, 'backreferences are not supported');
      i = endOfEscape(source, i);
    } else if (char === '[') {
      i = endOfClass(source, i);
    } else if (char === '(') {
      stack.push({ hasQuantifier: false, hasAlternation: false });
      i = endOfGroupPrefix(source, i);
    } else if (char === ')' && stack.length > 1) {
      const group = stack.pop() as GroupScan;
      const parent = stack[stack.length - 1];
      if (repeatsAt(source, i + 1) && (group.hasQuantifier || group.hasAlternation)) {
        throw refusePattern(KIND, 'a repeated group may not contain quantifiers or alternatives, e.g. (a+)+ or (a|aa)+; remove the outer repetition');
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

/**
 * About how many instructions RE2 will compile `source` to: counted repeats multiply what they
 * repeat. Checked before compiling because expanding `.{1000}` thirty times costs tens of ms.
 */
export function estimateProgramSize(source: string): number {
  const totals = [0];
  let last = 0;
  const add = (size: number, repeatable: boolean): void => {
    totals[totals.length - 1] += size;
    last = repeatable ? size : 0;
  };
  for (let i = 0; i < source.length; i += 1) {
    const char = source[i];
    const counted = countedRepeatAt(source, i);
    if (char === '\\') {
      i = endOfEscape(source, i);
      add(1, true);
    } else if (char === '[') {
      i = endOfClass(source, i);
      add(1, true);
    } else if (char === '(') {
      totals.push(0);
      i = endOfGroupPrefix(source, i);
      last = 0;
    } else if (char === ')' && totals.length > 1) {
      add((totals.pop() as number) + 1, true);
    } else if (counted !== undefined) {
      add(last * Math.max(0, counted.max - 1) + 1, false);
      i = counted.end;
    } else {
      add(1, !'*+?|'.includes(char));
    }
  }
  return totals.reduce((sum, size) => sum + size, 0);
}

/** Compiles a model-supplied JavaScript-flavoured pattern to a linear-time matcher. */
export function compileSafeRegex(source: string, caseSensitive: boolean): LinearRegex {
  if (source.length > MAX_REGEX_LENGTH) {
    throw refusePattern(KIND, `it is ${source.length} characters long; the limit is ${MAX_REGEX_LENGTH}`);
  }
  assertNoRunawayShapes(source);
  const estimate = estimateProgramSize(source);
  if (estimate > MAX_PROGRAM_SIZE) throw tooLarge(KIND, estimate);
  let translated: string;
  try {
    // JavaScript spellings RE2 lacks: (?<name>…), \u0041, \u{…}, [^], \cA.
    translated = RE2JS.translateRegExp(source);
  } catch {
    throw new DomainError('value.invalid', `"${source}" is not a valid ${KIND}`);
  }
  return compileLinearRegex(translated, !caseSensitive, KIND, source);
}

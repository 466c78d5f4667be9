import { DomainError } from '../../domain/shared/domain-error.js';
import { compileLinearRegex, refusePattern } from './linear-regex.js';

/**
 * Globs are translated to RE2 syntax and run on the linear-time engine: picomatch compiles to a V8
 * RegExp, where extglobs such as +(a|aa)+(b) backtrack exponentially. Supported: *, **, ?, [...]
 * (with ! or ^ and [:class:]), {a,b} (nested), {1..9} ranges, @() ?() *() +() extglobs, \ escapes,
 * and a leading ! that negates the whole pattern. Refused: !(...) (needs lookahead), huge ranges.
 */
export const MAX_GLOB_LENGTH = 1024;
export const MAX_BRACE_RANGE_ITEMS = 100;
/** Compiling costs time in the length of the translation (~30 ms per 1,500 characters, measured). */
export const MAX_TRANSLATED_LENGTH = 2048;
const KIND = 'glob pattern';
const RANGE = /^\{(-?\d+|[a-zA-Z])\.\.(-?\d+|[a-zA-Z])(?:\.\.(-?\d+))?\}/;
const EXTGLOB_SUFFIX: Readonly<Record<string, string>> = { '@': '', '?': '?', '*': '*', '+': '+' };

function quote(char: string): string {
  return /[\\^$.|?*+()[\]{}]/.test(char) ? `\\${char}` : char;
}

function quoteInClass(char: string): string {
  return /[\\\]^[-]/.test(char) ? `\\${char}` : char;
}

function rangeItems(glob: string, start: number): { items: string[]; end: number } | undefined {
  const match = RANGE.exec(glob.slice(start, start + 64));
  if (match === null) return undefined;
  const numeric = /\d/.test(match[1]) && /\d/.test(match[2]);
  if (!numeric && (/\d/.test(match[1]) || /\d/.test(match[2]))) return undefined;
  const from = numeric ? Number(match[1]) : match[1].charCodeAt(0);
  const to = numeric ? Number(match[2]) : match[2].charCodeAt(0);
  const step = Math.max(1, Math.abs(Number(match[3] ?? 1)));
  const count = Math.floor(Math.abs(to - from) / step) + 1;
  if (count > MAX_BRACE_RANGE_ITEMS) {
    throw refusePattern(KIND, `the range ${match[0]} has ${count} items; the limit is ${MAX_BRACE_RANGE_ITEMS}`);
  }
  const direction = to >= from ? step : -step;
  const items = Array.from({ length: count }, (_, k) => from + k * direction).map((v) => (numeric ? String(v) : String.fromCharCode(v)));
  return { items, end: start + match[0].length };
}

/** One pass, left to right; nesting only recurses through braces and extglobs, never backtracks. */
class GlobTranslator {
  private index = 0;
  private boundaries = '/';
  /**
   * An opener's translation depends only on where it stands; remembering it keeps unclosed or
   * single-item nests such as "{{{{a}}}}" from being re-read exponentially often.
   */
  private readonly memo = new Map<number, { out: string; end: number }>();

  constructor(private readonly glob: string) {}

  translate(): string {
    return this.sequence('');
  }

  /** Translates until one of `stops` (left for the caller) or the end. */
  private sequence(stops: string): string {
    let out = '';
    while (this.index < this.glob.length && !stops.includes(this.glob[this.index])) out += this.token();
    return out;
  }

  private token(): string {
    const char = this.glob[this.index];
    const next = this.glob[this.index + 1];
    if (char === '\\') {
      this.index += 2;
      return next === undefined ? '\\\\' : quote(next);
    }
    if (next === '(' && '@?*+!'.includes(char)) return this.remembered(() => this.extglob(char));
    if (char === '*') return this.star();
    if (char === '?') {
      this.index += 1;
      return '[^/]';
    }
    if (char === '[') return this.charClass();
    if (char === '{') return this.remembered(() => this.braces());
    this.index += 1;
    return quote(char);
  }

  private remembered(translate: () => string): string {
    const start = this.index;
    const known = this.memo.get(start);
    if (known === undefined) {
      const out = translate();
      this.memo.set(start, { out, end: this.index });
      return out;
    }
    this.index = known.end;
    return known.out;
  }

  private star(): string {
    const start = this.index;
    while (this.glob[this.index] === '*') this.index += 1;
    const before = this.glob[start - 1];
    const after = this.glob[this.index];
    const wholeSegment = (before === undefined || this.boundaries.includes(before)) && (after === undefined || this.boundaries.includes(after));
    if (this.index - start < 2 || !wholeSegment) return '[^/]*';
    if (after === '/') {
      this.index += 1;
      return '(?:.*/)?';
    }
    return '.*';
  }

  private charClass(): string {
    const start = this.index;
    let cursor = start + 1;
    const negated = this.glob[cursor] === '!' || this.glob[cursor] === '^';
    if (negated) cursor += 1;
    let body = '';
    for (let first = true; cursor < this.glob.length; first = false) {
      const char = this.glob[cursor];
      if (char === ']' && !first) {
        this.index = cursor + 1;
        return `[${negated ? '^/' : ''}${body}]`;
      }
      const posix = /^\[:[a-z]+:\]/.exec(this.glob.slice(cursor, cursor + 12));
      if (posix !== null) {
        body += posix[0];
        cursor += posix[0].length;
      } else if (char === '\\' && cursor + 1 < this.glob.length) {
        body += quoteInClass(this.glob[cursor + 1]);
        cursor += 2;
      } else {
        body += char === '-' && !first && this.glob[cursor + 1] !== ']' ? '-' : quoteInClass(char);
        cursor += 1;
      }
    }
    this.index = start + 1;
    return '\\[';
  }

  private braces(): string {
    const start = this.index;
    const range = rangeItems(this.glob, start);
    if (range !== undefined) {
      this.index = range.end;
      return `(?:${range.items.map((item) => item.split('').map(quote).join('')).join('|')})`;
    }
    this.index += 1;
    const parts = this.alternatives(',', '}');
    if (parts === undefined || parts.length < 2) {
      // "{a}" and an unclosed "{" are literal, as in picomatch.
      this.index = start + 1;
      return '\\{';
    }
    return `(?:${parts.join('|')})`;
  }

  private extglob(kind: string): string {
    const start = this.index;
    this.index += 2;
    const parts = this.alternatives('|', ')');
    if (parts === undefined) {
      this.index = start + 1;
      return quote(kind);
    }
    if (kind === '!') throw refusePattern(KIND, 'negated extglobs !(...) are not supported; write the names you want, or put ! in front of the whole pattern');
    return `(?:${parts.join('|')})${EXTGLOB_SUFFIX[kind]}`;
  }

  /** Reads `a<sep>b<sep>c<close>` after an opener; undefined when `close` never comes. */
  private alternatives(separator: string, close: string): string[] | undefined {
    const outer = this.boundaries;
    this.boundaries = `/${separator}${close}${this.glob[this.index - 1]}`;
    try {
      const parts: string[] = [];
      for (;;) {
        parts.push(this.sequence(separator + close));
        const stop = this.glob[this.index];
        if (stop === undefined) return undefined;
        this.index += 1;
        if (stop === close) return parts;
      }
    } finally {
      this.boundaries = outer;
    }
  }
}

export function globToRegexSource(glob: string): string {
  return new GlobTranslator(glob).translate();
}

/**
 * A matcher for paths relative to the search root. Without a "/" the pattern matches the file
 * name at any depth (picomatch's `basename`), which is what "*.ts" usually means.
 */
export function compileGlob(pattern: string): (relative: string) => boolean {
  if (pattern.length > MAX_GLOB_LENGTH) {
    throw refusePattern(KIND, `it is ${pattern.length} characters long; the limit is ${MAX_GLOB_LENGTH}`);
  }
  const negated = pattern.startsWith('!') && !pattern.startsWith('!(');
  let body = negated ? pattern.slice(1) : pattern;
  if (body.startsWith('./')) body = body.slice(2);
  if (body === '') throw new DomainError('value.invalid', `"${pattern}" is not a valid ${KIND}`);
  const basename = !body.includes('/');
  const source = globToRegexSource(body);
  if (source.length > MAX_TRANSLATED_LENGTH) {
    throw refusePattern(KIND, `it expands to ${source.length} characters of regular expression; the limit is ${MAX_TRANSLATED_LENGTH} — use fewer ranges, wildcards or alternatives`);
  }
  const regex = compileLinearRegex(source, false, KIND, pattern);
  return (relative) => negated !== regex.testExact(basename ? relative.slice(relative.lastIndexOf('/') + 1) : relative);
}

import { RE2JS, RE2JSSyntaxException } from 're2js';
import { DomainError } from '../../domain/shared/domain-error.js';

/**
 * Client-supplied patterns run on RE2 (re2js): time is linear in the input, so no pattern can
 * backtrack without end. Linear is not free, though: each input character can cost up to one step
 * per program instruction, so the program size is capped; at this cap a worst-case 4096-character
 * line costs about 10 ms, and the search yields to the event loop between lines.
 */
export const MAX_PROGRAM_SIZE = 1000;

export interface LinearRegex {
  /** True when the pattern matches anywhere in `text`. */
  test(text: string): boolean;
  /** True when the pattern matches the whole of `text`. */
  testExact(text: string): boolean;
}

export function refusePattern(kind: string, message: string): DomainError {
  return new DomainError('value.invalid', `${kind} refused: ${message}`);
}

export function tooLarge(kind: string, size?: number): DomainError {
  const amount = size === undefined ? 'beyond the engine\'s limit' : `to ${size} instructions`;
  return refusePattern(kind, `it expands ${amount}; the limit is ${MAX_PROGRAM_SIZE} — lower the repetition counts`);
}

/**
 * Compiles RE2 syntax. `display` is what the client wrote, named in errors; `kind` says whether it
 * was a regular expression or a glob.
 */
export function compileLinearRegex(re2Source: string, caseInsensitive: boolean, kind: string, display: string): LinearRegex {
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(re2Source, caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (error) {
    if (error instanceof RE2JSSyntaxException && /too large/.test(error.getDescription())) throw tooLarge(kind);
    const reason = error instanceof RE2JSSyntaxException ? `: ${error.getDescription()}` : '';
    throw new DomainError('value.invalid', `"${display}" is not a valid ${kind} (RE2 syntax)${reason}`);
  }
  const size = compiled.programSize();
  if (size > MAX_PROGRAM_SIZE) throw tooLarge(kind, size);
  return compiled;
}

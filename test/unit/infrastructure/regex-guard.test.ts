import { MAX_PROGRAM_SIZE } from '../../../src/infrastructure/filesystem/linear-regex.js';
import { compileSafeRegex, estimateProgramSize, MAX_REGEX_LENGTH } from '../../../src/infrastructure/filesystem/regex-guard.js';

const INVALID = { code: 'value.invalid' };
const A_LINE = 'a'.repeat(4095) + '!';
const SPACE_LINE = ' '.repeat(4095) + '!';
const AB_LINE = 'ab'.repeat(2047) + '!';
const WORDS_LINE = 'word '.repeat(818) + 'end!';
const HOSTILE_LINES = [A_LINE, SPACE_LINE, AB_LINE, WORDS_LINE, 'a'.repeat(30) + '!'];

function refusal(pattern: string, caseSensitive = true): Error | undefined {
  try {
    compileSafeRegex(pattern, caseSensitive);
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

describe('compileSafeRegex', () => {
  // Polynomial and exponential shapes the old shape guard let through to V8's backtracking engine:
  // each now runs in linear time. A regression to backtracking shows up as this test timing out.
  it.each([
    ['polynomial \\s*', '\\s*'.repeat(12) + 'x', [false, false, false, false, false]],
    ['polynomial a*', 'a*a*a*a*a*a*a*a*b', [false, false, true, false, false]],
    ['polynomial .*', '.*.*.*.*.*.*=.*;', [false, false, false, false, false]],
    ['polynomial \\w*\\d*', '\\w*\\d*\\w*\\d*\\w*\\d*[.]$', [false, false, false, false, false]],
    ['star of class alternatives', '[a ]*[a ]*[a ]*[a ]*\\d', [false, false, false, false, false]],
    ['counted wide window', '.{0,150}a.{0,150}b.{0,150}!', [false, false, true, false, false]],
    ['anchored long run', '^a{1,400}!$', [false, false, false, false, true]],
    ['repeated plain group', '(?:\\w )+x', [false, false, false, false, false]],
    ['word boundaries', '\\b\\w+\\b\\s\\b\\w+\\b!', [false, false, false, true, false]],
  ])('hostile but linear regex (%s): correct answer on every hostile line', (_name, pattern, expected) => {
    const regex = compileSafeRegex(pattern, true);
    for (let round = 0; round < 5; round += 1) expect(HOSTILE_LINES.map((line) => regex.test(line))).toEqual(expected);
  });

  it.each([
    ['(a+)+$', /a repeated group may not contain quantifiers/],
    ['(a|a)*b', /a repeated group may not contain quantifiers or alternatives/],
    ['(\\w+\\s?)*$', /a repeated group/],
    ['(.*a){20}', /a repeated group/],
    ['((a|b|ab)*)*c', /a repeated group/],
    ['(?:x\\d+){2,}', /a repeated group/],
    ['(a)\\1', /backreferences are not supported/],
    ['(?<n>a)\\k<n>', /backreferences are not supported/],
    ['(?=a)b', /lookahead and lookbehind .* are not supported by the linear-time engine/],
    ['a(?!b)', /lookahead and lookbehind/],
    ['(?<=a)b', /lookahead and lookbehind/],
    ['(?<!a)b', /lookahead and lookbehind/],
    ['a{1000}a{1000}', new RegExp(`regular expression refused: it expands to 2002 instructions; the limit is ${MAX_PROGRAM_SIZE}`)],
    ['.{1000}'.repeat(30), /regular expression refused: it expands to \d+ instructions; the limit is 1000/],
    ['(?:ab){600}', /it expands to 1801 instructions/],
    ['.{0,300}a.{0,300}b', /it expands to \d+ instructions; the limit is 1000/],
    ['x{1,100000}', /it expands to 100001 instructions/],
    ['(?:x{0,40}){0,40}', /a repeated group/],
    ['a**', /"a\*\*" is not a valid regular expression \(RE2 syntax\): invalid nested repetition operator/],
    ['a++', /not a valid regular expression \(RE2 syntax\)/],
    ['(unclosed', /"\(unclosed" is not a valid regular expression/],
    ['a\\', /not a valid regular expression/],
    ['a'.repeat(MAX_REGEX_LENGTH + 1), /it is 257 characters long; the limit is 256/],
  ])('refused regex %j: a value.invalid error naming the reason', (pattern, message) => {
    const error = refusal(pattern);
    expect(error).toMatchObject(INVALID);
    expect(error?.message).toMatch(message);
  });

  it.each([
    ['named group', '(?<word>\\w+)!', 'abc!', true],
    ['\\u escape', '\\u0041b', 'Ab', true],
    ['\\u{} escape', '\\u{1F600}', 'x😀', true],
    ['[^] matches anything', 'a[^]c', 'abc', true],
    ['escaped slash', 'a\\/b', 'a/b', true],
    ['class with parentheses', '[(a+)+]x', '+x', true],
    ['anchors', '^foo$', 'foo', true],
    ['anchors, no match', '^foo$', 'foo bar', false],
    ['digits', '\\d{3}-\\d{4}', 'call 555-1234', true],
    ['inline flag', '(?i)hello', 'HeLLo', true],
  ])('JavaScript spelling (%s): translated and matched', (_name, pattern, line, expected) => {
    expect(compileSafeRegex(pattern, true).test(line)).toBe(expected);
  });

  it('caseSensitive false: matches regardless of case', () => {
    expect(compileSafeRegex('^export\\s+CONST', false).test('export const x')).toBe(true);
    expect(compileSafeRegex('^export\\s+CONST', true).test('export const x')).toBe(false);
  });

  it.each([
    ['abc', 3],
    ['a{10}', 11],
    ['(?:ab){10}', 31],
    ['[a-z]{5}x', 7],
    ['\\p{L}{100}', 101],
  ])('estimateProgramSize(%j): about %d', (pattern, expected) => {
    expect(estimateProgramSize(pattern)).toBe(expected);
  });
});

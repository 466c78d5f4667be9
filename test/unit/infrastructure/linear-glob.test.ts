import { compileGlob, MAX_BRACE_RANGE_ITEMS, MAX_GLOB_LENGTH } from '../../../src/infrastructure/filesystem/linear-glob.js';

const INVALID = { code: 'value.invalid' };

describe('compileGlob', () => {
  it.each([
    ['*.ts', 'a.ts', true],
    ['*.ts', 'src/deep/a.ts', true],
    ['*.ts', 'a.tsx', false],
    ['src/*.ts', 'src/a.ts', true],
    ['src/*.ts', 'src/x/a.ts', false],
    ['src/**/*.ts', 'src/a.ts', true],
    ['src/**/*.ts', 'src/x/y/a.ts', true],
    ['src/**/*.ts', 'lib/a.ts', false],
    ['**/b/*.md', 'a/b/c.md', true],
    ['**/b/*.md', 'b/c.md', true],
    ['**', 'any/thing/at/all', true],
    ['a/**', 'a/b/c', true],
    ['./src/*.ts', 'src/a.ts', true],
    ['?.md', 'a.md', true],
    ['?.md', 'ab.md', false],
    ['src/?/x', 'src/a/x', true],
    ['src/?/x', 'src//x', false],
    ['[abc].txt', 'b.txt', true],
    ['[abc].txt', 'd.txt', false],
    ['[!abc].txt', 'd.txt', true],
    ['[^abc].txt', 'a.txt', false],
    ['[a-c]x', 'bx', true],
    ['[]]x', ']x', true],
    ['[[:digit:]]*', '7up', true],
    ['[[:digit:]]*', 'up', false],
    ['[', '[', true],
    ['*.{ts,js}', 'a.js', true],
    ['*.{ts,js}', 'a.css', false],
    ['{a,{b,c}}.txt', 'c.txt', true],
    ['{a}.txt', '{a}.txt', true],
    ['{a,b', '{a,b', true],
    ['file{1..3}.txt', 'file2.txt', true],
    ['file{1..3}.txt', 'file4.txt', false],
    ['file{3..1}.txt', 'file1.txt', true],
    ['{a..c}', 'b', true],
    ['{0..10..5}', '5', true],
    ['{0..10..5}', '4', false],
    ['+(a|b).txt', 'abba.txt', true],
    ['+(a|b).txt', '.txt', false],
    ['*(a|b).txt', '.txt', true],
    ['?(x)y', 'y', true],
    ['?(x)y', 'xxy', false],
    ['@(foo|bar).ts', 'bar.ts', true],
    ['@(foo|bar).ts', 'foobar.ts', false],
    ['!*.ts', 'a.js', true],
    ['!*.ts', 'a.ts', false],
    ['\\*.ts', '*.ts', true],
    ['\\*.ts', 'a.ts', false],
    ['(a).txt', '(a).txt', true],
    ['a|b', 'a|b', true],
    ['a|b', 'a', false],
    ['$^.+', '$^.+', true],
    ['*.TS', 'a.ts', false],
  ])('glob %j on %j: %s', (pattern, path, expected) => {
    expect(compileGlob(pattern)(path)).toBe(expected);
  });

  const many = (n: number, text: string): string => text.repeat(n);
  // Each would backtrack for seconds to hours in picomatch's V8 RegExp; here each answers at once
  // or is refused. A backtracking regression shows up as this test timing out.
  it.each([
    ['nested extglob', '+(a|aa)+(b)', many(40, 'a') + 'c', false],
    ['repeated identical alternatives', '@(a|a)*', many(40, 'a') + '!', true],
    ['repeated identical alternatives, no tail', '*(a|a)b', many(40, 'a') + '!', false],
    ['extglob stack', many(20, '+(a|aa)') + 'b', many(60, 'a'), false],
    ['star-of-extglob', '*(*(a))b', many(60, 'a'), false],
    ['many stars', many(200, '*') + 'x', many(500, 'a'), false],
    ['many star segments', many(100, '*a') + 'x', many(500, 'a'), false],
    ['many globstars', many(100, '**/') + 'x', many(100, 'a/'), false],
    ['question marks', many(300, '?') + 'x', many(300, 'a'), false],
    ['star between classes', many(60, '[a]*') + '!', many(300, 'a'), false],
    ['unclosed nested braces', many(400, '{'), many(400, '{'), true],
    ['single-item nested braces', many(300, '{') + 'a' + many(300, '}'), many(300, '{') + 'a' + many(300, '}'), true],
    ['unclosed nested extglobs', many(300, '+('), many(300, '+('), true],
    ['nested brace alternatives', many(100, '{a,') + 'b' + many(100, '}'), 'b', true],
    ['braces of stars', many(50, '{*,a*}') + 'x', many(300, 'a'), false],
  ])('hostile glob (%s): answers without backtracking', (_name, pattern, path, expected) => {
    let outcome: boolean | 'refused';
    try {
      outcome = compileGlob(pattern)(path);
    } catch (error) {
      expect(error).toMatchObject(INVALID);
      outcome = 'refused';
    }
    expect([expected, 'refused']).toContain(outcome);
  });

  it.each([
    ['huge numeric range', '{1..100000}', /the range \{1\.\.100000\} has 100000 items; the limit is 100/],
    ['range just over the limit', `{1..${MAX_BRACE_RANGE_ITEMS + 1}}`, /has 101 items/],
    ['negated extglob', '!(a|b).ts', /negated extglobs !\(\.\.\.\) are not supported/],
    ['nested negated extglob', '@(x|!(y))', /negated extglobs/],
    ['overlong pattern', 'a'.repeat(MAX_GLOB_LENGTH + 1), /1025 characters long; the limit is 1024/],
    ['translation too long', '{1..100}'.repeat(20), /glob pattern refused: it expands to 5900 characters of regular expression; the limit is 2048/],
    ['program too large', 'abcdefghij'.repeat(101), /glob pattern refused: it expands to \d+ instructions; the limit is 1000/],
    ['lone negation', '!', /is not a valid glob pattern/],
  ])('refused glob (%s): a clear value.invalid error', (_name, pattern, message) => {
    let caught: unknown;
    try {
      compileGlob(pattern);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject(INVALID);
    expect((caught as Error).message).toMatch(message);
  });
});

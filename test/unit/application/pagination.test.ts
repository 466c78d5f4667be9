import { ApplicationError } from '../../../src/application/application.errors.js';
import { paginate } from '../../../src/application/pagination.js';

const ITEMS = Array.from({ length: 10 }, (_, i) => `item-${i}`);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ApplicationError) return error.code;
    throw error;
  }
  return '(nothing thrown)';
}

describe('paginate', () => {
  it('no cursor, everything fits - one page without nextCursor', () => {
    const page = paginate(ITEMS, undefined, 100);
    expect(page).toEqual({ items: ITEMS });
    expect('nextCursor' in page).toBe(false);
  });

  it('following nextCursor - visits every item exactly once, in order, and the last page has no cursor', () => {
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = paginate(ITEMS, cursor, 4);
      seen.push(...page.items);
      sizes.push(page.items.length);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== undefined && pages < 10);

    expect(seen).toEqual(ITEMS);
    expect(sizes).toEqual([4, 4, 2]);
  });

  it('exact multiple of the page size - no empty trailing page is announced', () => {
    const first = paginate(ITEMS.slice(0, 8), undefined, 4);
    const second = paginate(ITEMS.slice(0, 8), first.nextCursor, 4);
    expect(second).toEqual({ items: ITEMS.slice(4, 8) });
  });

  it('cursor - is opaque url-safe text, not the bare offset', () => {
    const { nextCursor } = paginate(ITEMS, undefined, 3);
    expect(nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(nextCursor).not.toBe('3');
  });

  it('empty list - one empty page', () => {
    expect(paginate([], undefined, 5)).toEqual({ items: [] });
  });

  it.each([
    ['garbage', 'not-a-cursor!'],
    ['empty string', ''],
    ['bare offset', '4'],
    ['negative offset', Buffer.from('o:-1').toString('base64url')],
    ['non-numeric offset', Buffer.from('o:abc').toString('base64url')],
    ['ten-digit offset', Buffer.from('o:1234567890').toString('base64url')],
    ['trailing junk', Buffer.from('o:4x').toString('base64url')],
    ['past the end', Buffer.from('o:11').toString('base64url')],
    ['over 64 characters', `${Buffer.from('o:4').toString('base64url')}${'A'.repeat(70)}`],
  ])('invalid cursor (%s) - throws ApplicationError params.invalid', (_, cursor) => {
    expect(codeOf(() => paginate(ITEMS, cursor, 4))).toBe('params.invalid');
  });
});

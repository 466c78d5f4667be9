import { ApplicationError } from './application.errors.js';

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor?: string;
}

/** Cursors are opaque to clients: base64url of the next offset. */
export function paginate<T>(items: readonly T[], cursor: string | undefined, pageSize: number): Page<T> {
  const start = cursor === undefined ? 0 : decodeCursor(cursor);
  if (start > items.length) throw new ApplicationError('params.invalid', 'invalid cursor: it points past the end of the list');
  const end = start + pageSize;
  const page = items.slice(start, end);
  return end < items.length ? { items: page, nextCursor: encodeCursor(end) } : { items: page };
}

function encodeCursor(offset: number): string {
  return Buffer.from(`o:${offset}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const decoded = cursor.length <= 64 ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const match = /^o:(\d{1,9})$/.exec(decoded);
  if (!match) throw new ApplicationError('params.invalid', 'invalid cursor: pass back a nextCursor value unchanged');
  return Number(match[1]);
}

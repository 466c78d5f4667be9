import { createHash } from 'node:crypto';

/**
 * One versioned schema change. The SQL lives in TypeScript modules (migrations/NNN_name.ts), not
 * in .sql files, so the compiled dist/ carries it and nothing reads the file system at start-up.
 * An applied migration is never edited: its checksum is recorded and checked on every start.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export function checksumOf(migration: Migration): string {
  return createHash('sha256').update(migration.sql).digest('hex');
}

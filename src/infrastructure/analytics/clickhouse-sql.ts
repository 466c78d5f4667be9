const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Database and table names are the only text spliced into SQL (18.16 has no server-side parameter
 * binding); they are checked here, once, so a bad name fails at wiring time instead of in a query.
 */
export function identifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new TypeError(`invalid ClickHouse identifier: ${JSON.stringify(name)}`);
  return `\`${name}\``;
}

/** `database`.`table`: every statement names its database, so one client serves all databases. */
export function tableRef(database: string, table: string): string {
  return `${identifier(database)}.${identifier(table)}`;
}

/** Numbers are spliced only as validated integers. */
export function integerLiteral(value: number, what: string): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} must be a non-negative integer, got ${value}`);
  return String(value);
}

/** 64-bit integers arrive as JSON strings from 18.16 and as numbers from newer servers. */
export function toNumber(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) throw new TypeError(`expected a number from ClickHouse, got ${JSON.stringify(value)}`);
  return n;
}

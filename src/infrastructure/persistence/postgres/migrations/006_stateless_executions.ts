import type { Migration } from '../migration.js';

/**
 * A 2026-07-28 request has no session (ADR 009): its tool executions record the principal instead.
 * Additive: existing rows keep their session id; the new column is null for them.
 */
export const statelessExecutions: Migration = {
  version: 6,
  name: 'stateless_executions',
  sql: `
ALTER TABLE tool_executions ALTER COLUMN session_id DROP NOT NULL;
ALTER TABLE tool_executions ADD COLUMN principal text;
`,
};

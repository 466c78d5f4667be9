import type { Migration } from '../migration.js';

/**
 * Principals (issue 14). A session's principal lives in its snapshot, which is what a replica
 * restoring the session reads; `sessions.principal` is the queryable copy of its id, for operators
 * ("which sessions does key:ci hold?"), null for the anonymous caller. A task's `actor` is what its
 * events record about its principal (kind, tenant), so a replica that cancels or completes a task
 * it did not create records the same actor. Additive: older rows keep nulls (the anonymous caller).
 */
export const sessionPrincipal: Migration = {
  version: 9,
  name: 'session_principal',
  sql: `
ALTER TABLE sessions ADD COLUMN principal text;
CREATE INDEX sessions_principal_idx ON sessions (principal) WHERE principal IS NOT NULL;
ALTER TABLE tasks ADD COLUMN actor jsonb;
`,
};

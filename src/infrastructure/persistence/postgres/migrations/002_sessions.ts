import type { Migration } from '../migration.js';

/** `snapshot` is Session.snapshot(); the other columns are copies for counts and operators. */
export const sessions: Migration = {
  version: 2,
  name: 'sessions',
  sql: `
CREATE TABLE sessions (
  id         text PRIMARY KEY,
  state      text NOT NULL,
  transport  text NOT NULL,
  snapshot   jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  closed_at  timestamptz
);

CREATE INDEX sessions_state_idx ON sessions (state);
`,
};

import type { Migration } from '../migration.js';

/** Messages are append-only; `position` keeps the order the roles must alternate in. */
export const conversations: Migration = {
  version: 4,
  name: 'conversations',
  sql: `
CREATE TABLE conversations (
  id         text PRIMARY KEY,
  session_id text NOT NULL,
  model      text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  closed_at  timestamptz
);

CREATE INDEX conversations_session_idx ON conversations (session_id);

CREATE TABLE conversation_messages (
  conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  position        integer NOT NULL,
  id              text NOT NULL UNIQUE,
  role            text NOT NULL,
  content         jsonb NOT NULL,
  created_at      timestamptz NOT NULL,
  PRIMARY KEY (conversation_id, position)
);
`,
};

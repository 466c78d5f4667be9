import type { Migration } from '../migration.js';

/** The durable audit trail of tool calls (ADR 002); no foreign key, so it never blocks a call. */
export const toolExecutions: Migration = {
  version: 3,
  name: 'tool_executions',
  sql: `
CREATE TABLE tool_executions (
  id          text PRIMARY KEY,
  session_id  text NOT NULL,
  tool        text NOT NULL,
  started_at  timestamptz NOT NULL,
  finished_at timestamptz,
  duration_ms integer,
  outcome     text,
  error       text
);

CREATE INDEX tool_executions_session_idx ON tool_executions (session_id, started_at);
CREATE INDEX tool_executions_tool_idx ON tool_executions (tool, started_at);
`,
};

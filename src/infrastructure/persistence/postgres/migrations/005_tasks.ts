import type { Migration } from '../migration.js';

/**
 * Durable tasks of the io.modelcontextprotocol/tasks extension. `version` is the optimistic lock
 * every state change checks; `heartbeat_at` is written by the owner replica alone, apart from state
 * changes. `expires_at` (created_at + ttl_ms) is what the reaper deletes by. The partial indexes
 * serve the per-principal cap and the orphan sweep, which only ever look at live tasks.
 */
export const tasks: Migration = {
  version: 5,
  name: 'tasks',
  sql: `
CREATE TABLE tasks (
  id               text PRIMARY KEY,
  principal        text NOT NULL,
  method           text NOT NULL,
  name             text NOT NULL,
  status           text NOT NULL CHECK (status IN ('working', 'input_required', 'completed', 'failed', 'cancelled')),
  status_message   text,
  created_at       timestamptz NOT NULL,
  last_updated_at  timestamptz NOT NULL,
  ttl_ms           integer NOT NULL CHECK (ttl_ms > 0),
  expires_at       timestamptz NOT NULL,
  poll_interval_ms integer NOT NULL CHECK (poll_interval_ms > 0),
  owner_replica    text NOT NULL,
  heartbeat_at     timestamptz NOT NULL,
  cancel_requested boolean NOT NULL DEFAULT false,
  result           jsonb,
  error            jsonb,
  input_requests   jsonb,
  input_responses  jsonb,
  input_keys       jsonb NOT NULL DEFAULT '[]'::jsonb,
  trace            jsonb,
  version          integer NOT NULL
);

CREATE INDEX tasks_live_principal_idx ON tasks (principal) WHERE status IN ('working', 'input_required');
CREATE INDEX tasks_live_heartbeat_idx ON tasks (heartbeat_at) WHERE status IN ('working', 'input_required');
CREATE INDEX tasks_expires_idx ON tasks (expires_at);
`,
};

import type { Migration } from '../migration.js';

/**
 * The transactional outbox. `payload` is the whole event envelope; the other event columns are
 * copies for operators' queries. A statement trigger notifies the relay at commit (NOTIFY inside a
 * transaction is delivered only when it commits); the payload names the schema, so instances that
 * share a database but not a schema wake only their own relay.
 */
export const outbox: Migration = {
  version: 1,
  name: 'outbox',
  sql: `
CREATE TABLE outbox (
  seq            bigserial PRIMARY KEY,
  event_id       text NOT NULL UNIQUE,
  type           text NOT NULL,
  aggregate_type text NOT NULL,
  aggregate_id   text NOT NULL,
  session_id     text,
  occurred_at    timestamptz NOT NULL,
  payload        jsonb NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  claimed_until  timestamptz,
  attempts       integer NOT NULL DEFAULT 0,
  last_error     text,
  published_at   timestamptz,
  parked_at      timestamptz
);

CREATE INDEX outbox_unpublished_idx ON outbox (seq) WHERE published_at IS NULL AND parked_at IS NULL;
CREATE INDEX outbox_parked_idx ON outbox (parked_at) WHERE parked_at IS NOT NULL;

CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM pg_notify('tfo_outbox', TG_TABLE_SCHEMA);
  RETURN NULL;
END
$fn$;

CREATE TRIGGER outbox_appended AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
`,
};

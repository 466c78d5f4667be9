import type { Migration } from '../migration.js';

/**
 * API keys made with `tfo-mcp keys create` (issue 14). `id` is the public part of the key
 * (`tfo_<id>_…`), the only column a lookup uses; `hash` is the scrypt string, never the key. A name
 * is unique among live keys, so a revoked name can be issued again. Any change, by the CLI or by
 * hand, notifies `tfo_api_keys` at commit with the schema as payload: every replica reloads its
 * copy at once, and a slow refresh covers a notification lost with a dropped LISTEN connection.
 */
export const apiKeys: Migration = {
  version: 8,
  name: 'api_keys',
  sql: `
CREATE TABLE api_keys (
  id               text PRIMARY KEY,
  name             text NOT NULL,
  hash             text NOT NULL,
  grants           jsonb NOT NULL,
  expires_at       timestamptz,
  rate_limit_class text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  revoked_at       timestamptz
);

CREATE UNIQUE INDEX api_keys_live_name_idx ON api_keys (name) WHERE revoked_at IS NULL;

CREATE FUNCTION api_keys_notify() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM pg_notify('tfo_api_keys', TG_TABLE_SCHEMA);
  RETURN NULL;
END
$fn$;

CREATE TRIGGER api_keys_changed AFTER INSERT OR UPDATE OR DELETE ON api_keys FOR EACH STATEMENT EXECUTE FUNCTION api_keys_notify();
`,
};

import type { Migration } from '../migration.js';

/**
 * Conversations owned by a principal and continued by id from any connection (issue 13): owner,
 * system prompt, status, cumulative token usage, message count and title beside the append-only
 * messages of 004, and `version` for optimistic saves. `session_id` stays as history, nullable:
 * conversations are never keyed by a session. Rows of 004 are migrated in place: their owner
 * becomes 'session:<session id>' (there was no principal then, and 'local' or 'anonymous' would hand
 * them to callers who never owned them), their status follows closed_at, and updated_at is cut to
 * milliseconds so list cursors (which carry milliseconds) page over them exactly. The title mirrors
 * the domain's rule (first non-blank user text, whitespace collapsed, 80 characters).
 */
export const conversationsV2: Migration = {
  version: 7,
  name: 'conversations_v2',
  sql: `
ALTER TABLE conversations
  ALTER COLUMN session_id DROP NOT NULL,
  ADD COLUMN owner_id text,
  ADD COLUMN system text,
  ADD COLUMN status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed', 'failed', 'closed')),
  ADD COLUMN input_tokens bigint NOT NULL DEFAULT 0,
  ADD COLUMN output_tokens bigint NOT NULL DEFAULT 0,
  ADD COLUMN cache_read_input_tokens bigint NOT NULL DEFAULT 0,
  ADD COLUMN cache_creation_input_tokens bigint NOT NULL DEFAULT 0,
  ADD COLUMN message_count integer NOT NULL DEFAULT 0,
  ADD COLUMN title text NOT NULL DEFAULT '',
  ADD COLUMN version integer NOT NULL DEFAULT 1;

UPDATE conversations c SET
  owner_id = 'session:' || c.session_id,
  status = CASE WHEN c.closed_at IS NULL THEN 'active' ELSE 'closed' END,
  updated_at = date_trunc('milliseconds', c.updated_at),
  message_count = (SELECT count(*) FROM conversation_messages m WHERE m.conversation_id = c.id),
  title = COALESCE((
    SELECT CASE WHEN char_length(t) > 80 THEN left(t, 79) || '…' ELSE t END
      FROM (
        SELECT btrim(regexp_replace(b.value->>'text', '\\s+', ' ', 'g')) AS t, m.position, b.ordinality
          FROM conversation_messages m, jsonb_array_elements(m.content) WITH ORDINALITY AS b(value, ordinality)
         WHERE m.conversation_id = c.id AND m.role = 'user' AND b.value->>'type' = 'text'
      ) texts
     WHERE t <> ''
     ORDER BY position, ordinality
     LIMIT 1), '');

ALTER TABLE conversations ALTER COLUMN owner_id SET NOT NULL;
ALTER TABLE conversations ALTER COLUMN status DROP DEFAULT;
ALTER TABLE conversations ALTER COLUMN version DROP DEFAULT;

DROP INDEX conversations_session_idx;
CREATE INDEX conversations_owner_updated_idx ON conversations (owner_id, updated_at DESC, id COLLATE "C" DESC);
`,
};

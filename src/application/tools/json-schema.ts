import { z, type ZodType } from 'zod';

/**
 * JSON Schema (2020-12) of a zod schema, without the `$schema` key (tools/list does not need it),
 * and portable: a multi-type `type` (zod writes `["string","null"]` for a nullable string) becomes
 * an `anyOf` of single types, which clients that accept one `type` per schema also read.
 */
export function jsonSchemaOf(schema: ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete json['$schema'];
  return singleTyped(json) as Record<string, unknown>;
}

/** Rewrites every `type: [a, b]` below `node` into `anyOf: [{type: a, …}, {type: b}]`. */
function singleTyped(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(singleTyped);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  // Values (default, const, enum, examples) are data, not schemas: copied as they are.
  for (const [key, value] of Object.entries(node)) out[key] = DATA.has(key) ? value : singleTyped(value);
  const types = out['type'];
  if (!Array.isArray(types)) return out;
  const annotations: Record<string, unknown> = {};
  const keywords: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(out)) {
    if (key === 'type') continue;
    if (ANNOTATIONS.has(key)) annotations[key] = value;
    else keywords[key] = value;
  }
  // Validation keywords (minLength, properties…) go with each non-null type; annotations stay outside.
  return { ...annotations, anyOf: types.map((t) => (t === 'null' ? { type: 'null' } : { type: t, ...keywords })) };
}

const DATA = new Set(['default', 'const', 'enum', 'examples']);
const ANNOTATIONS = new Set(['title', 'description', 'default', 'examples', 'deprecated', 'readOnly', 'writeOnly', '$comment']);

/** The error envelope's schema: tools/call results with isError carry it in structuredContent. */
export const TOOL_ERROR_ENVELOPE_SCHEMA: Readonly<Record<string, unknown>> = Object.freeze({
  type: 'object',
  properties: {
    error: { type: 'string' },
    reason: { type: 'string' },
    suggested_actions: { type: 'array', items: { type: 'string' } },
    retryable: { type: 'boolean' },
    follow_up_tools: { type: 'array', items: { type: 'string' } },
    context: { type: 'object' },
  },
  required: ['error', 'reason', 'suggested_actions', 'retryable'],
});

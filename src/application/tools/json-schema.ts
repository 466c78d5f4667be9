import { z, type ZodType } from 'zod';

/** JSON Schema (2020-12) of a zod schema, without the `$schema` key (tools/list does not need it). */
export function jsonSchemaOf(schema: ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete json['$schema'];
  return json;
}

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

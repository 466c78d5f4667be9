import { z, type ZodType } from 'zod';
import type { ToolDefinition } from '../../../application/tools/tool-definition.js';

/** Erases a tool's input type so families can return a heterogeneous list; the registry validates with `input`. */
export function defineTool<TInput>(definition: ToolDefinition<TInput>): ToolDefinition<unknown> {
  return definition as unknown as ToolDefinition<unknown>;
}

/** JSON Schema (2020-12) of a zod schema, as tools/list shows it. */
export function jsonSchemaOf(schema: ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete json['$schema'];
  return json;
}

/** JSON Schema of a tool's structured output (output shape, defaults applied). */
export function outputSchemaOf(schema: ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any' }) as Record<string, unknown>;
  delete json['$schema'];
  return json;
}

/** A result that carries data: the JSON as text (for clients without structured output) plus structuredContent. */
export function structured(data: Record<string, unknown>, text?: string) {
  return {
    content: [{ type: 'text' as const, text: text ?? JSON.stringify(data, null, 2) }],
    structuredContent: data,
  };
}

import type { ZodType } from 'zod';
import { jsonSchemaOf } from './json-schema.js';
import type { ToolDefinition } from './tool-definition.js';

/** Erases a tool's input type so families can return a heterogeneous list; the registry validates with `input`. */
export function defineTool<TInput>(definition: ToolDefinition<TInput>): ToolDefinition<unknown> {
  return definition as unknown as ToolDefinition<unknown>;
}

/** JSON Schema of a tool's structured output (output shape, defaults applied). */
export function outputSchemaOf(schema: ZodType): Record<string, unknown> {
  return jsonSchemaOf(schema, 'output');
}

/** A result that carries data: the JSON as text (for clients without structured output) plus structuredContent. */
export function structured(data: Record<string, unknown>, text?: string) {
  return {
    content: [{ type: 'text' as const, text: text ?? JSON.stringify(data, null, 2) }],
    structuredContent: data,
  };
}

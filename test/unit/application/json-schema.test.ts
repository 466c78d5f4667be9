import { z } from 'zod';
import { jsonSchemaOf } from '../../../src/application/tools/json-schema.js';

describe('jsonSchemaOf', () => {
  it('writes a nullable string as anyOf of single types, keeping its description outside', () => {
    const schema = jsonSchemaOf(z.object({ signal: z.string().min(1).nullable().describe('the signal') }), 'output');
    expect((schema['properties'] as Record<string, unknown>)['signal']).toEqual({
      description: 'the signal',
      anyOf: [{ type: 'string', minLength: 1 }, { type: 'null' }],
    });
  });

  it('leaves data keywords alone, even when they hold a "type" array', () => {
    const schema = jsonSchemaOf(z.object({ kind: z.object({ type: z.array(z.string()) }).default({ type: ['a', 'b'] }) }));
    expect(((schema['properties'] as Record<string, Record<string, unknown>>)['kind'])['default']).toEqual({ type: ['a', 'b'] });
  });
});

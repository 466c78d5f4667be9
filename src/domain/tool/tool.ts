import { AggregateRoot } from '../shared/aggregate-root.js';
import { domainEvent } from '../shared/domain-event.js';
import { DomainError } from '../shared/domain-error.js';
import type { EventMetaSource } from '../shared/event-meta-source.js';
import type { ToolAnnotations } from './tool-annotations.js';
import type { ToolRegistered } from './tool.events.js';

export type { ToolAnnotations } from './tool-annotations.js';

/** MCP's tool-name rule (SEP-986): 1–128 of letters, digits, underscore, hyphen and dot. */
const NAME = /^[A-Za-z0-9_.-]{1,128}$/;

export type JsonSchema = Readonly<Record<string, unknown>>;

export interface ToolProps {
  readonly name: string;
  readonly title?: string;
  readonly description: string;
  readonly inputSchema: JsonSchema;
  readonly outputSchema?: JsonSchema;
  readonly annotations?: ToolAnnotations;
}

/**
 * A JSON Schema, or how to make it when it is first needed (tools/list, a conversation's tool list):
 * converting a tool's validator is start-up time that nothing before the first listing needs.
 */
export type JsonSchemaSource = JsonSchema | (() => JsonSchema);

/** What a tool is registered with: its props, with schemas that may still be to make. */
export interface ToolRegistration extends Omit<ToolProps, 'inputSchema' | 'outputSchema'> {
  readonly inputSchema: JsonSchemaSource;
  readonly outputSchema?: JsonSchemaSource;
}

/** A tool the server offers. Its name and schemas are public API: they are what the model sees. */
export class Tool extends AggregateRoot<ToolRegistered> {
  private made: ToolProps | undefined;

  private constructor(private readonly registration: ToolRegistration) {
    super();
  }

  /** An input schema given as it is is checked here; one given as a function, when it is made (`props`). */
  static register(registration: ToolRegistration, meta: EventMetaSource): Tool {
    if (!NAME.test(registration.name)) {
      throw new DomainError('tool.invalid_name', `tool name "${registration.name.slice(0, 140)}" must be 1-128 of [A-Za-z0-9_.-]`);
    }
    if (typeof registration.inputSchema !== 'function') objectSchema(registration.name, registration.inputSchema);
    const tool = new Tool(registration);
    tool.record(
      domainEvent('tool', registration.name, 'tool.registered', { name: registration.name, annotations: registration.annotations ?? {} }, meta()),
    );
    return tool;
  }

  /** The tool as tools/list describes it; schemas registered as functions are made on the first read. */
  get props(): ToolProps {
    if (this.made === undefined) {
      const { inputSchema, outputSchema, ...rest } = this.registration;
      const output = typeof outputSchema === 'function' ? outputSchema() : outputSchema;
      this.made = {
        ...rest,
        inputSchema: typeof inputSchema === 'function' ? objectSchema(rest.name, inputSchema()) : inputSchema,
        ...(output !== undefined ? { outputSchema: output } : {}),
      };
    }
    return this.made;
  }

  get name(): string {
    return this.registration.name;
  }

  /** Read without making the schemas (the call path reads it). */
  get annotations(): ToolAnnotations | undefined {
    return this.registration.annotations;
  }

  get isCacheable(): boolean {
    return this.registration.annotations?.readOnlyHint === true && this.registration.annotations?.idempotentHint === true;
  }
}

/** MCP requires a tool's inputSchema to describe an object. */
function objectSchema(name: string, schema: JsonSchema): JsonSchema {
  if (schema['type'] !== 'object') throw new DomainError('value.invalid', `tool "${name}": inputSchema must have type "object"`);
  return schema;
}

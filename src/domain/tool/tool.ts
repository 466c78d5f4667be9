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

/** A tool the server offers. Its name and schemas are public API: they are what the model sees. */
export class Tool extends AggregateRoot<ToolRegistered> {
  private constructor(readonly props: ToolProps) {
    super();
  }

  static register(props: ToolProps, meta: EventMetaSource): Tool {
    if (!NAME.test(props.name)) {
      throw new DomainError('tool.invalid_name', `tool name "${props.name.slice(0, 140)}" must be 1-128 of [A-Za-z0-9_.-]`);
    }
    if (props.inputSchema['type'] !== 'object') {
      throw new DomainError('value.invalid', `tool "${props.name}": inputSchema must have type "object"`);
    }
    const tool = new Tool(props);
    tool.record(
      domainEvent('tool', props.name, 'tool.registered', { name: props.name, annotations: props.annotations ?? {} }, meta()),
    );
    return tool;
  }

  get name(): string {
    return this.props.name;
  }

  get isCacheable(): boolean {
    return this.props.annotations?.readOnlyHint === true && this.props.annotations?.idempotentHint === true;
  }
}

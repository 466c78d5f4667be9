import type { EventMetaSource } from '../../domain/shared/event-meta-source.js';
import { Tool } from '../../domain/tool/tool.js';
import { Command, type CommandHandler } from '../bus/message-bus.js';
import type { Outbox } from '../ports/outbox.js';
import { jsonSchemaOf } from './json-schema.js';
import type { ToolDefinition } from './tool-definition.js';
import type { ToolRegistry } from './tool-registry.js';

export class RegisterToolCommand extends Command<{ name: string }> {
  constructor(readonly definition: ToolDefinition<unknown>) {
    super();
  }
}

export class RegisterToolHandler implements CommandHandler<RegisterToolCommand> {
  readonly handles = RegisterToolCommand;

  constructor(
    private readonly registry: ToolRegistry,
    private readonly outbox: Outbox,
    private readonly meta: EventMetaSource,
  ) {}

  async execute(command: RegisterToolCommand): Promise<{ name: string }> {
    const { props, input } = command.definition;
    // Converted on the first listing, not here: nothing before it needs the JSON Schema (start-up time).
    const tool = Tool.register({ ...props, inputSchema: props.inputSchema ?? (() => jsonSchemaOf(input)) }, this.meta);
    this.registry.add(tool, command.definition);
    await this.outbox.append(tool.pullEvents());
    return { name: tool.name };
  }
}

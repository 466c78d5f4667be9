import { DomainError } from '../../domain/shared/domain-error.js';
import type { Tool, ToolProps } from '../../domain/tool/tool.js';
import { TOOL_ERROR_ENVELOPE_SCHEMA } from './json-schema.js';
import type { ToolDefinition } from './tool-definition.js';

/**
 * What tools/list shows for one tool: the shape of the domain's props (one type, not a copy to keep
 * in step); only a declared outputSchema is listed widened, see `describe`.
 */
export type ToolDescriptor = ToolProps;

export interface RegisteredTool {
  readonly tool: Tool;
  readonly definition: ToolDefinition<unknown>;
  readonly descriptor: ToolDescriptor;
}

/**
 * The in-process catalog of runnable tools. Implementations are code, so this is not a repository:
 * every replica registers the same tools at start-up. A tool added later (the conformance fixture
 * does) is announced to change listeners, which tell clients their tool list is stale.
 */
export class ToolRegistry {
  private readonly tools = new Map<string, RegisteredTool>();
  private listCache: ToolDescriptor[] | undefined;
  private readonly listeners = new Set<() => void>();

  add(tool: Tool, definition: ToolDefinition<unknown>): RegisteredTool {
    if (this.tools.has(tool.name)) {
      throw new DomainError('tool.already_registered', `a tool named "${tool.name}" is already registered`);
    }
    const registered = new Registered(tool, definition);
    this.tools.set(tool.name, registered);
    this.listCache = undefined;
    // A copy: a listener may unsubscribe itself (or another) while being told.
    for (const listener of [...this.listeners]) listener();
    return registered;
  }

  /**
   * `listener` runs after every successful `add`, synchronously, until the returned function is
   * called. Listeners must not throw: the tool is registered by then, and `add` would fail anyway.
   */
  onChange(listener: () => void): () => void {
    const own = () => listener();
    this.listeners.add(own);
    return () => void this.listeners.delete(own);
  }

  find(name: string): RegisteredTool | undefined {
    return this.tools.get(name);
  }

  descriptors(): readonly ToolDescriptor[] {
    this.listCache ??= [...this.tools.values()].map((t) => t.descriptor);
    return this.listCache;
  }
}

/** Its descriptor is made on the first read (tools/list): making it makes the tool's JSON Schemas. */
class Registered implements RegisteredTool {
  private described: ToolDescriptor | undefined;

  constructor(
    readonly tool: Tool,
    readonly definition: ToolDefinition<unknown>,
  ) {}

  get descriptor(): ToolDescriptor {
    return (this.described ??= describe(this.tool));
  }
}

/**
 * A declared outputSchema is offered as "either the data or the error envelope": clients (the SDK's
 * among them) validate structuredContent against outputSchema even on isError results.
 */
function describe(tool: Tool): ToolDescriptor {
  const { name, title, description, inputSchema, outputSchema, annotations } = tool.props;
  return {
    name,
    ...(title !== undefined ? { title } : {}),
    description,
    inputSchema,
    ...(outputSchema !== undefined ? { outputSchema: { type: 'object', anyOf: [outputSchema, TOOL_ERROR_ENVELOPE_SCHEMA] } } : {}),
    ...(annotations !== undefined ? { annotations } : {}),
  };
}

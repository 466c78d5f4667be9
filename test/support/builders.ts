import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { ClientRequests } from '../../src/application/ports/client-requests.js';
import { WorkspaceScopes } from '../../src/application/workspace/workspace-scopes.js';
import { NodeWorkspace } from '../../src/infrastructure/filesystem/node-workspace.js';
import type { Logger } from '../../src/application/ports/logger.js';
import type { ServerSettings } from '../../src/application/server-settings.js';
import type { ToolContext, ToolDefinition, ToolOutput } from '../../src/application/tools/tool-definition.js';
import { domainEvent, type DomainEvent } from '../../src/domain/shared/domain-event.js';
import type { JsonSchema, JsonSchemaSource } from '../../src/domain/tool/tool.js';
import { DomainError } from '../../src/domain/shared/domain-error.js';
import { T0 } from './fixed-clock.js';

export type LogLine = {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: Record<string, unknown>;
};

/** A Logger that keeps every line in memory (children share the parent's lines). */
export class RecordingLogger implements Logger {
  readonly debugEnabled = true;

  constructor(
    readonly lines: LogLine[] = [],
    private readonly bound: Record<string, unknown> = {},
  ) {}

  debug(message: string, fields?: Record<string, unknown>): void {
    this.push('debug', message, fields);
  }

  info(message: string, fields?: Record<string, unknown>): void {
    this.push('info', message, fields);
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.push('warn', message, fields);
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.push('error', message, fields);
  }

  child(fields: Record<string, unknown>): Logger {
    return new RecordingLogger(this.lines, { ...this.bound, ...fields });
  }

  at(level: LogLine['level']): LogLine[] {
    return this.lines.filter((line) => line.level === level);
  }

  /** Everything logged, as one string: for "the secret never leaked" style assertions. */
  text(): string {
    return this.lines.map((line) => `${line.level} ${line.message} ${JSON.stringify(line.fields)}`).join('\n');
  }

  private push(level: LogLine['level'], message: string, fields?: Record<string, unknown>): void {
    this.lines.push({ level, message, fields: { ...this.bound, ...(fields ?? {}) } });
  }
}

export const SUPPORTED_VERSIONS = ['2025-06-18', '2025-03-26', '2024-11-05'] as const;

export function serverSettings(overrides: Partial<ServerSettings> = {}): ServerSettings {
  return {
    name: 'tfo-mcp-test',
    version: '0.0.0-test',
    supportedProtocolVersions: SUPPORTED_VERSIONS,
    pageSize: 100,
    drainTimeoutMs: 1000,
    toolTimeoutMs: 5_000,
    defaultClientLogLevel: 'info',
    startedAt: T0,
    ...overrides,
  };
}

/** A tool definition for handler tests: `message: string` in, whatever `run` returns out. */
export function toolDefinition(
  name: string,
  run: (input: { message: string }, context: ToolContext) => Promise<ToolOutput>,
  props: Partial<ToolDefinition['props']> = {},
): ToolDefinition<unknown> {
  const definition: ToolDefinition<{ message: string }> = {
    props: { name, description: `test tool ${name}`, ...props },
    input: z.object({ message: z.string().min(1) }).strict(),
    run,
  };
  return definition as unknown as ToolDefinition<unknown>;
}

/** A tool definition's schema as tools/list will show it (definitions may give it as a function, made on first listing). */
export function madeSchema(source: JsonSchemaSource | undefined): JsonSchema | undefined {
  return typeof source === 'function' ? source() : source;
}

export function textOutput(text: string): ToolOutput {
  return { content: [{ type: 'text', text }] };
}

/** A ToolContext with a signal the test controls; progress and log calls are recorded. */
export function toolContext(sessionId: string, signal: AbortSignal = new AbortController().signal) {
  const progress: unknown[][] = [];
  const logs: unknown[][] = [];
  const context: ToolContext = {
    sessionId,
    signal,
    progress: (...args) => void progress.push(args),
    log: (...args) => void logs.push(args),
  };
  return { context, progress, logs };
}

/** A standalone event for outbox and relay tests (`test.happened`, id as given). */
export function testEvent(id: string, data: Record<string, unknown> = {}): DomainEvent {
  return domainEvent('test', 'aggregate-1', 'test.happened', data, { id, occurredAt: T0 });
}

export function testEvents(count: number, prefix = 'e'): DomainEvent[] {
  return Array.from({ length: count }, (_, i) => testEvent(`${prefix}${i + 1}`, { n: i + 1 }));
}

/** Runs `fn` and returns the DomainError it throws; fails the test if it throws nothing (or something else). */
export function domainErrorOf(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError, nothing was thrown');
}

/** Scoped workspaces on the local file system, as the composition root builds them. */
export function workspaceScopes(
  fallback: readonly string[],
  options: { configured?: readonly string[]; noRootsReason?: string; logger?: Logger } = {},
): WorkspaceScopes {
  return new WorkspaceScopes(
    (roots) => new NodeWorkspace(roots),
    { configured: options.configured, fallback, noRootsReason: options.noRootsReason },
    options.logger ?? new RecordingLogger(),
  );
}

/** A client as ClientRequests sees it: declares roots (or not) and answers roots/list from `roots`. */
export function rootsClient(roots: readonly string[] | undefined, listed: () => void = () => undefined): ClientRequests {
  return {
    supports: { sampling: false, elicitation: false, roots: roots !== undefined },
    createMessage: async () => {
      throw new Error('sampling not declared');
    },
    elicit: async () => {
      throw new Error('elicitation not declared');
    },
    listRoots: async () => {
      listed();
      return (roots ?? []).map((root) => ({ uri: root.startsWith('file://') || root.includes(':') ? root : pathToFileURL(root).href }));
    },
  };
}

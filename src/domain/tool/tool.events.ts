import type { DomainEvent } from '../shared/domain-event.js';
import type { ToolAnnotations } from './tool-annotations.js';

export type ToolRegistered = DomainEvent<'tool.registered', { name: string; annotations: ToolAnnotations }>;

export type ToolOutcome = 'success' | 'error' | 'cancelled';

export type ToolExecuted = DomainEvent<
  'tool.executed',
  { executionId: string; tool: string; durationMs: number; outcome: 'success'; principal?: string }
>;
export type ToolFailed = DomainEvent<
  'tool.failed',
  { executionId: string; tool: string; durationMs: number; outcome: 'error' | 'cancelled'; error: string; retryable: boolean; principal?: string }
>;

export type ToolExecutionEvent = ToolExecuted | ToolFailed;

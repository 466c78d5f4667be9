import { ProtocolError } from '@modelcontextprotocol/server';
import { ApplicationError, type ApplicationErrorCode } from '../../application/application.errors.js';
import { ClientAnswerInvalid, ClientCapabilityMissing } from '../../application/ports/client-requests.js';
import type { Logger } from '../../application/ports/logger.js';
import { missingTasksCapability } from './task-wire.js';
import { DomainError, type DomainErrorCode } from '../../domain/shared/domain-error.js';

/** JSON-RPC codes of the tfo-mcp API (the -320xx range is the server's own). */
export const RPC = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  ToolNotFound: -32001,
  ResourceNotFound: -32002,
  PromptNotFound: -32003,
  /** 2026-07-28: the request needs a client capability it did not declare. */
  MissingClientCapability: -32021,
} as const;

/**
 * `mcp`: the codes the MCP specification gives (an unknown tool or prompt is -32602 Invalid params).
 * `telemetryflow`: the TelemetryFlow API's own -32001 / -32003 for them, for clients built against it
 * (mcp.compat.telemetryflow_error_codes). -32001 is RequestTimeout in the official SDKs, which is why
 * it is not the default.
 */
export type ErrorCodeStyle = 'mcp' | 'telemetryflow';

const TELEMETRYFLOW: Partial<Record<ApplicationErrorCode, number>> = {
  'tool.not_found': RPC.ToolNotFound,
  'prompt.not_found': RPC.PromptNotFound,
};

const APPLICATION: Record<ApplicationErrorCode, number> = {
  'tool.not_found': RPC.InvalidParams,
  'resource.not_found': RPC.ResourceNotFound,
  'prompt.not_found': RPC.InvalidParams,
  'params.invalid': RPC.InvalidParams,
  'completion.unsupported': RPC.InvalidParams,
  'server.busy': RPC.InternalError,
  'task.limit_reached': RPC.InternalError,
  'task.required': RPC.MissingClientCapability,
  'request_state.invalid': RPC.InvalidParams,
};

const DOMAIN: Record<DomainErrorCode, number> = {
  'session.not_found': RPC.InvalidRequest,
  'session.invalid_transition': RPC.InvalidRequest,
  'session.not_operational': RPC.InvalidRequest,
  'tool.invalid_name': RPC.InvalidParams,
  'tool.already_registered': RPC.InvalidParams,
  'conversation.invalid_message': RPC.InvalidParams,
  'conversation.closed': RPC.InvalidParams,
  'workspace.path_outside_roots': RPC.InvalidParams,
  'workspace.invalid_path': RPC.InvalidParams,
  'workspace.no_roots': RPC.InvalidParams,
  'policy.command_denied': RPC.InvalidParams,
  'task.not_found': RPC.InvalidParams,
  'task.invalid_transition': RPC.InvalidParams,
  'value.invalid': RPC.InvalidParams,
};

/**
 * The one place errors become JSON-RPC errors. Our own typed errors carry messages written for
 * clients; anything else is logged with its stack and answered with a generic -32603.
 */
export function toMcpError(error: unknown, logger: Logger, method: string, style: ErrorCodeStyle = 'mcp'): ProtocolError {
  if (error instanceof ProtocolError) return error;
  if (error instanceof ApplicationError) {
    if (error.code === 'task.required') return rpcError(RPC.MissingClientCapability, error.message, missingTasksCapability());
    const code = (style === 'telemetryflow' ? TELEMETRYFLOW[error.code] : undefined) ?? APPLICATION[error.code];
    return rpcError(code, error.message, { ...error.data, reason: error.code });
  }
  if (error instanceof DomainError) return rpcError(DOMAIN[error.code], error.message, { reason: error.code });
  if (error instanceof ClientCapabilityMissing) return rpcError(RPC.MissingClientCapability, error.message, { requiredCapabilities: { [error.capability]: {} } });
  if (error instanceof ClientAnswerInvalid) return rpcError(RPC.InvalidParams, error.message);
  logger.error('request failed unexpectedly', { method, error: error instanceof Error ? error.stack : String(error) });
  return rpcError(RPC.InternalError, 'Internal error: the server could not complete the request; details are in the server log');
}

export function rpcError(code: number, message: string, data?: unknown): ProtocolError {
  return new ProtocolError(code, message, data);
}

/**
 * Errors the domain raises when an invariant would break. `code` is stable and machine-readable;
 * the presentation layer maps codes to JSON-RPC errors once, at the edge.
 */
export type DomainErrorCode =
  | 'session.not_found'
  | 'session.invalid_transition'
  | 'session.not_operational'
  | 'tool.invalid_name'
  | 'tool.already_registered'
  | 'conversation.invalid_message'
  | 'conversation.closed'
  | 'workspace.path_outside_roots'
  | 'workspace.invalid_path'
  | 'workspace.no_roots'
  | 'policy.command_denied'
  | 'task.not_found'
  | 'task.invalid_transition'
  | 'value.invalid';

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

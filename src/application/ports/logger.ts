/** Operator-facing log (stderr in stdio mode). Never the MCP client's notifications/message. */
export interface Logger {
  readonly debugEnabled: boolean;
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

import winston from 'winston';
import type { Logger } from '../../application/ports/logger.js';
import { redactConfig, redactText } from '../config/redact.js';

export interface LoggingOptions {
  readonly level: 'error' | 'warn' | 'info' | 'debug';
  /** JSON lines (containers, the default) or one readable line per entry; `text` is the old name of `pretty`. */
  readonly format: 'json' | 'pretty' | 'text';
}

/**
 * The active span's ids, asked for at each log call (the tracer facade, when tracing is on). Read
 * in the caller's own async context, which is where the span is active; winston's format stage may
 * run later, off that context.
 */
export interface TraceIdSource {
  logFields(): { readonly trace_id: string; readonly span_id: string } | undefined;
}

/**
 * Masks secret-named fields and credentials in URLs before a line is written, the message
 * included: a driver error quoted into a message often carries its connection URL.
 */
const redactSecrets = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key === 'level') continue;
    info[key] = key === 'message' && typeof info[key] === 'string' ? redactText(info[key]) : redactConfig(info[key], key);
  }
  return info;
});

/**
 * winston's Console transport writes to stdout unless told otherwise; in stdio mode stdout belongs
 * to the protocol, so every level is routed to stderr.
 */
export function createWinston(options: LoggingOptions): winston.Logger {
  const format =
    options.format === 'json'
      ? winston.format.combine(redactSecrets(), winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json())
      : winston.format.combine(
          redactSecrets(),
          winston.format.timestamp(),
          winston.format.printf(({ timestamp, level, message, ...rest }) => {
            const fields = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
            return `${String(timestamp)} ${level} ${String(message)}${fields}`;
          }),
        );
  return winston.createLogger({
    level: options.level,
    format,
    transports: [
      new winston.transports.Console({
        stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'],
      }),
    ],
  });
}

export class WinstonLogger implements Logger {
  readonly debugEnabled: boolean;
  private readonly infoEnabled: boolean;

  /** `traces`: `trace_id`/`span_id` of the active span on every line written inside one (tracing on). */
  constructor(
    private readonly winstonLogger: winston.Logger,
    private readonly traces?: TraceIdSource,
  ) {
    this.debugEnabled = winstonLogger.isLevelEnabled('debug');
    this.infoEnabled = winstonLogger.isLevelEnabled('info');
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    if (this.debugEnabled) this.winstonLogger.debug(message, this.traced(fields));
  }

  info(message: string, fields?: Record<string, unknown>): void {
    if (this.infoEnabled) this.winstonLogger.info(message, this.traced(fields));
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.winstonLogger.warn(message, this.traced(fields));
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.winstonLogger.error(message, this.traced(fields));
  }

  child(fields: Record<string, unknown>): Logger {
    return new WinstonLogger(this.winstonLogger.child(fields), this.traces);
  }

  private traced(fields: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
    const ids = this.traces?.logFields();
    return ids === undefined ? fields : { ...fields, trace_id: ids.trace_id, span_id: ids.span_id };
  }
}

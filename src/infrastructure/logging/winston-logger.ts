import winston from 'winston';
import type { Logger } from '../../application/ports/logger.js';
import { redactConfig, redactText } from '../config/redact.js';

export interface LoggingOptions {
  readonly level: 'error' | 'warn' | 'info' | 'debug';
  readonly format: 'json' | 'text';
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

  constructor(private readonly winstonLogger: winston.Logger) {
    this.debugEnabled = winstonLogger.isLevelEnabled('debug');
    this.infoEnabled = winstonLogger.isLevelEnabled('info');
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    if (this.debugEnabled) this.winstonLogger.debug(message, fields);
  }

  info(message: string, fields?: Record<string, unknown>): void {
    if (this.infoEnabled) this.winstonLogger.info(message, fields);
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.winstonLogger.warn(message, fields);
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.winstonLogger.error(message, fields);
  }

  child(fields: Record<string, unknown>): Logger {
    return new WinstonLogger(this.winstonLogger.child(fields));
  }
}

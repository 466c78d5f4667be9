import winston from 'winston';
import type { AuditLine } from '../../application/ports/execution-audit.js';

/**
 * The execution audit channel (execution.audit.file): one JSON line per execution decision, on its
 * own winston logger so operator log levels and formats never hide or reshape it. Without a file
 * it goes to stderr, like every other log line (stdout belongs to the protocol).
 */
export class WinstonAuditLine implements AuditLine {
  private readonly logger: winston.Logger;

  constructor(file: string | undefined) {
    this.logger = winston.createLogger({
      level: 'info',
      format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
      defaultMeta: { channel: 'execution-audit' },
      transports: [
        file
          ? new winston.transports.File({ filename: file })
          : new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] }),
      ],
    });
  }

  write(entry: Readonly<Record<string, unknown>>): void {
    this.logger.info('execution', entry);
  }

  /** Flushes the file transport before exit. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.logger.on('finish', () => resolve());
      this.logger.end();
    });
  }
}

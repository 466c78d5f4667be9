import { PassThrough } from 'node:stream';
import winston from 'winston';
import { WinstonLogger, createWinston } from '../../../src/infrastructure/logging/winston-logger.js';

/** The production format and redaction, written to a stream we can read instead of stderr. */
function captured(format: 'json' | 'text'): { logger: WinstonLogger; lines: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  const inner = createWinston({ level: 'debug', format });
  inner.clear().add(new winston.transports.Stream({ stream }));
  return { logger: new WinstonLogger(inner), lines: () => text };
}

describe.each(['json', 'text'] as const)('WinstonLogger redaction (%s format)', (format) => {
  it('a driver error quoted into the message - URL credentials masked, the rest readable', () => {
    const { logger, lines } = captured(format);
    logger.error('nats connect to nats://natsTok1@n.local:4222 failed: ECONNREFUSED');
    expect(lines()).not.toContain('natsTok1');
    expect(lines()).toContain('nats://[redacted]@n.local:4222 failed: ECONNREFUSED');
  });

  it('fields holding URLs, secret names and Error objects - no credential survives', () => {
    const { logger, lines } = captured(format);
    logger.warn('retrying', {
      server: 'redis://:redisPw2@r.local:6379',
      endpoint: 'http://h.local/?token=tok3&page=1',
      api_key: 'key4',
      error: new Error('auth failed for postgres://u:pgPw5@db.local/app'),
    });
    for (const secret of ['redisPw2', 'tok3', 'key4', 'pgPw5']) expect(lines()).not.toContain(secret);
    expect(lines()).toContain('page=1');
    expect(lines()).toContain('db.local/app');
  });
});

import { PassThrough } from 'node:stream';
import winston from 'winston';
import { createWinston, WinstonLogger, type TraceIdSource } from '../../../../../src/infrastructure/logging/winston-logger.js';

function captured(format: 'json' | 'pretty' | 'text', traces?: TraceIdSource): { logger: WinstonLogger; lines: () => string[] } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const inner = createWinston({ level: 'debug', format });
  inner.clear().add(new winston.transports.Stream({ stream }));
  return { logger: new WinstonLogger(inner, traces), lines: () => text.trim().split('\n') };
}

/** Ids present only while "a span is active", as the tracer facade answers. */
function switchable(): TraceIdSource & { active?: { trace_id: string; span_id: string } } {
  const source: TraceIdSource & { active?: { trace_id: string; span_id: string } } = { logFields: () => source.active };
  return source;
}

const IDS = { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' };

describe('WinstonLogger trace ids and formats', () => {
  it('json - every level inside a span carries trace_id/span_id, lines outside carry none; children keep the source', () => {
    const traces = switchable();
    const { logger, lines } = captured('json', traces);
    const child = logger.child({ session_id: 's-9' });
    child.info('outside');
    traces.active = IDS;
    child.debug('d');
    child.info('i', { principal: 'key:ci' });
    child.warn('w');
    child.error('e');
    const parsed = lines().map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed[0]).not.toHaveProperty('trace_id');
    for (const line of parsed.slice(1)) expect(line).toMatchObject({ ...IDS, session_id: 's-9' });
    expect(parsed[2]).toMatchObject({ principal: 'key:ci' });
  });

  it.each(['pretty', 'text'] as const)('%s - one readable line with the ids among its fields', (format) => {
    const traces = switchable();
    traces.active = IDS;
    const { logger, lines } = captured(format, traces);
    logger.warn('slow call', { tool: 'read_file' });
    const [line] = lines();
    expect(line).toMatch(/^\S+ warn slow call \{/);
    expect(line).toContain(`"trace_id":"${IDS.trace_id}"`);
    expect(line).toContain('"tool":"read_file"');
  });

  it('no source (tracing off) - the fields object is passed on untouched', () => {
    const { logger, lines } = captured('json');
    logger.info('plain', { n: 1 });
    expect(JSON.parse(lines()[0])).toEqual(expect.objectContaining({ message: 'plain', n: 1, level: 'info' }));
    expect(lines()[0]).not.toContain('trace_id');
  });
});

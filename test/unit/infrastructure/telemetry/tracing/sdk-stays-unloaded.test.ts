import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../../src');

/** Every module `file` pulls in at load time (static imports, type-only ones excluded), transitively. */
function staticImports(file: string, seen = new Map<string, string[]>()): Map<string, string[]> {
  if (seen.has(file)) return seen;
  const source = readFileSync(file, 'utf8');
  const specifiers = [...source.matchAll(/^import\s+(?!type\s)[^;]*?from\s+'([^']+)';/gms)].map((match) => match[1]);
  seen.set(file, specifiers);
  for (const specifier of specifiers) {
    if (specifier.startsWith('.')) staticImports(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')), seen);
  }
  return seen;
}

describe('what a server without telemetry.otlp loads', () => {
  it.each([
    'application/ports/tracer.ts',
    'infrastructure/telemetry/tracing/trace-headers.ts',
    'infrastructure/telemetry/tracing/otlp.schema.ts',
    'infrastructure/logging/winston-logger.ts',
  ])('%s - no OpenTelemetry package anywhere in its static import graph', (file) => {
    const graph = staticImports(resolve(SRC, file));
    const sdk = [...graph].flatMap(([from, specifiers]) => specifiers.filter((s) => s.startsWith('@opentelemetry/')).map((s) => `${from} → ${s}`));
    expect(sdk).toEqual([]);
    expect(graph.size).toBeGreaterThan(0);
  });

  it('start-tracing.ts - the one entry the composition root imports dynamically - does load the SDK (the scan sees imports)', () => {
    const graph = staticImports(resolve(SRC, 'infrastructure/telemetry/tracing/start-tracing.ts'));
    expect([...graph.values()].flat()).toEqual(expect.arrayContaining(['@opentelemetry/sdk-trace', '@opentelemetry/api']));
  });
});

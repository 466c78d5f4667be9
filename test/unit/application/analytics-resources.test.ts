import type { ToolUsageQuery, ToolUsageReader, ToolUsageRow } from '../../../src/application/ports/analytics.js';
import { AnalyticsResources } from '../../../src/application/resources/analytics.resources.js';
import { FixedClock, T0 } from '../../support/fixed-clock.js';

const ROWS: ToolUsageRow[] = [
  { tool: 'read_file', calls: 5, errors: 1, cancelled: 0, avgDurationMs: 40, p50DurationMs: 30, p95DurationMs: 88, lastCalledAt: '2024-12-31T23:59:00.000Z' },
  { tool: 'execute_command', calls: 2, errors: 0, cancelled: 1, avgDurationMs: 1500.5, p50DurationMs: 1500.5, p95DurationMs: 1950.1, lastCalledAt: '2024-12-31T23:00:00.000Z' },
];

/** The port has no embedded adapter, so a plain object stands in; it records what it was asked. */
function recordingReader(rows: ToolUsageRow[] = ROWS): ToolUsageReader & { queries: (ToolUsageQuery | undefined)[] } {
  const queries: (ToolUsageQuery | undefined)[] = [];
  return {
    queries,
    async toolUsage(query?: ToolUsageQuery) {
      queries.push(query);
      return rows;
    },
  };
}

function textOf(contents: Awaited<ReturnType<AnalyticsResources['read']>>): string {
  expect(contents).toHaveLength(1);
  const [first] = contents ?? [];
  if (!first || !('text' in first)) throw new Error('expected one text content');
  return first.text;
}

describe('AnalyticsResources', () => {
  it('resources - one JSON resource analytics://tool-usage, no templates', () => {
    const resources = new AnalyticsResources(recordingReader(), new FixedClock());

    expect(resources.resources()).toEqual([
      expect.objectContaining({ uri: 'analytics://tool-usage', name: 'tool-usage', mimeType: 'application/json' }),
    ]);
    expect(resources.templates()).toEqual([]);
  });

  it('read analytics://tool-usage - the reader rows, the generation time and the window, as JSON', async () => {
    const clock = new FixedClock();
    clock.advance(90_000);
    const reader = recordingReader();
    const resources = new AnalyticsResources(reader, clock);

    const contents = await resources.read('analytics://tool-usage');

    expect(contents?.[0]).toMatchObject({ uri: 'analytics://tool-usage', mimeType: 'application/json' });
    expect(JSON.parse(textOf(contents))).toEqual({
      generatedAt: new Date(T0.getTime() + 90_000).toISOString(),
      windowSeconds: 86_400,
      tools: ROWS,
    });
    expect(reader.queries).toEqual([{ sinceSeconds: 86_400 }]);
  });

  it('read with a configured window - the reader is asked for that window', async () => {
    const reader = recordingReader([]);
    const resources = new AnalyticsResources(reader, new FixedClock(), { windowSeconds: 3600 });

    const body = JSON.parse(textOf(await resources.read('analytics://tool-usage'))) as { windowSeconds: number; tools: unknown[] };

    expect(reader.queries).toEqual([{ sinceSeconds: 3600 }]);
    expect(body).toMatchObject({ windowSeconds: 3600, tools: [] });
    expect(resources.resources()[0].description).toContain('3600 s');
  });

  it('read when the reader fails - the read rejects with the reader error (mapped at the MCP edge)', async () => {
    const failure = new Error('store unavailable');
    const resources = new AnalyticsResources({ toolUsage: () => Promise.reject(failure) }, new FixedClock());

    await expect(resources.read('analytics://tool-usage')).rejects.toBe(failure);
  });

  it.each(['analytics://tool-usage/x', 'analytics://other', 'ANALYTICS://TOOL-USAGE', 'status://health', ''])(
    'read %j - not ours: undefined, and the reader is not asked',
    async (uri) => {
      const reader = recordingReader();
      const resources = new AnalyticsResources(reader, new FixedClock());

      await expect(resources.read(uri)).resolves.toBeUndefined();
      expect(reader.queries).toEqual([]);
    },
  );

  it.each([0, -1, 1.5, Number.NaN])('constructor with windowSeconds %p - rejected', (windowSeconds) => {
    expect(() => new AnalyticsResources(recordingReader(), new FixedClock(), { windowSeconds })).toThrow(RangeError);
  });
});

import type {
  ConversationUsage,
  ConversationUsageQuery,
  ExecutionActivity,
  ExecutionActivityQuery,
  ToolUsageQuery,
  ToolUsageReader,
  ToolUsageRow,
} from '../../../src/application/ports/analytics.js';
import { AnalyticsResources } from '../../../src/application/resources/analytics.resources.js';
import { FixedClock, T0 } from '../../support/fixed-clock.js';

const ROWS: ToolUsageRow[] = [
  { tool: 'read_file', calls: 5, errors: 1, cancelled: 0, avgDurationMs: 40, p50DurationMs: 30, p95DurationMs: 88, lastCalledAt: '2024-12-31T23:59:00.000Z' },
  { tool: 'execute_command', calls: 2, errors: 0, cancelled: 1, avgDurationMs: 1500.5, p50DurationMs: 1500.5, p95DurationMs: 1950.1, lastCalledAt: '2024-12-31T23:00:00.000Z' },
];

const ACTIVITY: ExecutionActivity = {
  allowed: 2,
  denied: 1,
  deniedByRule: [{ rule: 'not_allowed', denials: 1, lastDeniedAt: '2024-12-31T23:58:00.000Z' }],
  runsByBackend: [{ backend: 'native', runs: 2, failed: 0, timedOut: 1, killed: 1, truncated: 0, avgDurationMs: 510, p95DurationMs: 975 }],
  recent: [
    {
      executionId: 'x-1', decision: 'denied', rule: 'not_allowed', reason: 'python3 is not in execution.security.allowed_commands', backend: 'native',
      program: 'python3', exitCode: null, signal: null, durationMs: 0, outputBytes: 0, truncated: false, timedOut: false, killed: false, failed: false,
      decidedAt: '2024-12-31T23:58:00.250Z',
    },
  ],
};

const CONVERSATIONS: ConversationUsage = {
  conversations: { started: 3, closed: 1, active: 2, turns: 5, completedTurns: 4, failedTurns: 1 },
  models: [
    { model: 'claude-sonnet-4-6', turns: 4, failedTurns: 1, inputTokens: 12_000, outputTokens: 900, cacheReadInputTokens: 8_000, cacheCreationInputTokens: 1_500 },
    { model: 'claude-haiku-4-5', turns: 1, failedTurns: 0, inputTokens: 300, outputTokens: 40, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 },
  ],
};

type RecordingReader = ToolUsageReader & {
  queries: (ToolUsageQuery | undefined)[];
  activityQueries: ExecutionActivityQuery[];
  conversationQueries: ConversationUsageQuery[];
};

/** The port has no embedded adapter, so a plain object stands in; it records what it was asked. */
function recordingReader(rows: ToolUsageRow[] = ROWS): RecordingReader {
  const queries: (ToolUsageQuery | undefined)[] = [];
  const activityQueries: ExecutionActivityQuery[] = [];
  const conversationQueries: ConversationUsageQuery[] = [];
  return {
    queries,
    activityQueries,
    conversationQueries,
    async toolUsage(query?: ToolUsageQuery) {
      queries.push(query);
      return rows;
    },
    async executionActivity(query: ExecutionActivityQuery) {
      activityQueries.push(query);
      return ACTIVITY;
    },
    async conversationUsage(query: ConversationUsageQuery) {
      conversationQueries.push(query);
      return CONVERSATIONS;
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
  it('resources - two JSON resources, analytics://tool-usage and analytics://executions, no templates', () => {
    const resources = new AnalyticsResources(recordingReader(), new FixedClock());

    expect(resources.resources()).toEqual([
      expect.objectContaining({ uri: 'analytics://tool-usage', name: 'tool-usage', mimeType: 'application/json' }),
      expect.objectContaining({ uri: 'analytics://executions', name: 'executions', mimeType: 'application/json' }),
    ]);
    expect(resources.templates()).toEqual([]);
  });

  it('read analytics://tool-usage - the tool rows, conversation counts and tokens per model, the generation time and the window, as JSON', async () => {
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
      conversations: CONVERSATIONS.conversations,
      models: CONVERSATIONS.models,
    });
    expect(reader.queries).toEqual([{ sinceSeconds: 86_400 }]);
    expect(reader.conversationQueries).toEqual([{ sinceSeconds: 86_400 }]);
    expect(reader.activityQueries).toEqual([]);
    expect(resources.resources()[0].description).toContain('tokens per model');
  });

  it('read analytics://executions - the activity over the window with the latest 50 decisions, as JSON', async () => {
    const clock = new FixedClock();
    clock.advance(30_000);
    const reader = recordingReader();
    const resources = new AnalyticsResources(reader, clock);

    const contents = await resources.read('analytics://executions');

    expect(contents?.[0]).toMatchObject({ uri: 'analytics://executions', mimeType: 'application/json' });
    expect(JSON.parse(textOf(contents))).toEqual({ generatedAt: new Date(T0.getTime() + 30_000).toISOString(), windowSeconds: 86_400, ...ACTIVITY });
    expect(reader.activityQueries).toEqual([{ sinceSeconds: 86_400, recentLimit: 50 }]);
    expect(reader.queries).toEqual([]);
  });

  it('read analytics://executions with a configured window and list length - the reader is asked for them', async () => {
    const reader = recordingReader();
    const resources = new AnalyticsResources(reader, new FixedClock(), { windowSeconds: 600, recentExecutions: 5 });

    const body = JSON.parse(textOf(await resources.read('analytics://executions'))) as { windowSeconds: number };

    expect(reader.activityQueries).toEqual([{ sinceSeconds: 600, recentLimit: 5 }]);
    expect(body.windowSeconds).toBe(600);
    expect(resources.resources()[1].description).toContain('600 s');
    expect(resources.resources()[1].description).toContain('latest 5 decisions');
  });

  it('read with a configured window - the reader is asked for that window', async () => {
    const reader = recordingReader([]);
    const resources = new AnalyticsResources(reader, new FixedClock(), { windowSeconds: 3600 });

    const body = JSON.parse(textOf(await resources.read('analytics://tool-usage'))) as { windowSeconds: number; tools: unknown[] };

    expect(reader.queries).toEqual([{ sinceSeconds: 3600 }]);
    expect(reader.conversationQueries).toEqual([{ sinceSeconds: 3600 }]);
    expect(body).toMatchObject({ windowSeconds: 3600, tools: [] });
    expect(resources.resources()[0].description).toContain('3600 s');
  });

  it('read when the reader fails - the read rejects with the reader error (mapped at the MCP edge)', async () => {
    const failure = new Error('store unavailable');
    const resources = new AnalyticsResources(
      { toolUsage: () => Promise.reject(failure), executionActivity: () => Promise.reject(failure), conversationUsage: () => Promise.reject(failure) },
      new FixedClock(),
    );

    await expect(resources.read('analytics://tool-usage')).rejects.toBe(failure);
    await expect(resources.read('analytics://executions')).rejects.toBe(failure);
  });

  it('read analytics://tool-usage when only the conversation read fails - the read rejects with that error', async () => {
    const failure = new Error('conversation_turns missing');
    const reader = recordingReader();
    const resources = new AnalyticsResources({ ...reader, conversationUsage: () => Promise.reject(failure) }, new FixedClock());

    await expect(resources.read('analytics://tool-usage')).rejects.toBe(failure);
  });

  it.each(['analytics://tool-usage/x', 'analytics://executions/', 'analytics://executions?x=1', 'analytics://other', 'ANALYTICS://TOOL-USAGE', 'status://health', ''])(
    'read %j - not ours: undefined, and the reader is not asked',
    async (uri) => {
      const reader = recordingReader();
      const resources = new AnalyticsResources(reader, new FixedClock());

      await expect(resources.read(uri)).resolves.toBeUndefined();
      expect(reader.queries).toEqual([]);
      expect(reader.activityQueries).toEqual([]);
      expect(reader.conversationQueries).toEqual([]);
    },
  );

  it.each([0, -1, 1.5, Number.NaN])('constructor with windowSeconds %p - rejected', (windowSeconds) => {
    expect(() => new AnalyticsResources(recordingReader(), new FixedClock(), { windowSeconds })).toThrow(RangeError);
  });

  it.each([0, -1, 2.5, Number.NaN])('constructor with recentExecutions %p - rejected', (recentExecutions) => {
    expect(() => new AnalyticsResources(recordingReader(), new FixedClock(), { recentExecutions })).toThrow(/recentExecutions/);
  });
});

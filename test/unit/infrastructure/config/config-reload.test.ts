import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../../src/infrastructure/config/config-loader.js';
import { changedKeys, ConfigReloader, type ReloadableConfig } from '../../../../src/infrastructure/config/config-reload.js';
import { RecordingLogger } from '../../../support/builders.js';

const KEY_A = 'key-a-0123456789abcdef0123456789abcdef';
const KEY_B = 'key-b-fedcba9876543210fedcba9876543210';

/** A YAML file with the given request_state block and logging level. */
function yaml(options: { keys?: readonly string[]; ttl?: number; level?: string; port?: number } = {}): string {
  const lines = ['mcp:', '  request_state:', `    keys: [${(options.keys ?? [KEY_A]).join(', ')}]`];
  if (options.ttl !== undefined) lines.push(`    ttl_seconds: ${options.ttl}`);
  if (options.level) lines.push('logging:', `  level: ${options.level}`);
  if (options.port) lines.push('server:', '  http:', `    port: ${options.port}`);
  return `${lines.join('\n')}\n`;
}

describe('ConfigReloader', () => {
  let dir: string;
  let file: string;
  let env: Record<string, string>;
  let logger: RecordingLogger;
  let received: ReloadableConfig[];

  const load = () => loadConfig({ configPath: file, env, cwd: dir, version: '1.0.0' });

  /** A reloader for the file as it is now, with one subscriber recording what it is handed. */
  function started(): ConfigReloader {
    const reloader = new ConfigReloader(load, load(), logger);
    reloader.subscribe((parts) => received.push(parts));
    return reloader;
  }

  beforeEach(async () => {
    dir = await realpath(await mkdtemp(path.join(tmpdir(), 'tfo-reload-')));
    file = path.join(dir, 'tfo-mcp.yaml');
    env = {};
    logger = new RecordingLogger();
    received = [];
    await writeFile(file, yaml());
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a new key added first in the file - applied: subscribers get [new, old] and the ttl, the log names mcp.request_state', async () => {
    const reloader = started();
    await writeFile(file, yaml({ keys: [KEY_B, KEY_A] }));

    const outcome = reloader.reload();

    expect(outcome).toEqual({ kind: 'applied', reloaded: ['mcp.request_state'], needRestart: [] });
    expect(received).toMatchObject([{ requestState: { keys: [KEY_B, KEY_A], ttlSeconds: 600 } }]);
    const [line] = logger.at('info');
    expect(line.message).toBe('configuration reloaded');
    expect(line.fields).toEqual({ reloaded: ['mcp.request_state'], needRestart: [], requestState: { keyCount: 2, ttlSeconds: 600 } });
    expect(logger.text()).not.toContain(KEY_B);
  });

  it('only the ttl changed - applied with the same keys and the new ttl', async () => {
    const reloader = started();
    await writeFile(file, yaml({ ttl: 120 }));

    expect(reloader.reload().kind).toBe('applied');

    expect(received).toMatchObject([{ requestState: { keys: [KEY_A], ttlSeconds: 120 } }]);
  });

  it('nothing changed - unchanged, subscribers not called', () => {
    const reloader = started();

    expect(reloader.reload()).toEqual({ kind: 'unchanged', needRestart: [] });

    expect(received).toEqual([]);
    expect(logger.at('info').map((l) => l.message)).toEqual(['configuration reloaded: nothing to apply']);
    expect(logger.at('warn')).toEqual([]);
  });

  it('keys and logging.level changed - keys applied; logging.level named as needing a restart', async () => {
    const reloader = started();
    await writeFile(file, yaml({ keys: [KEY_B], level: 'debug' }));

    const outcome = reloader.reload();

    expect(outcome).toEqual({ kind: 'applied', reloaded: ['mcp.request_state'], needRestart: ['logging.level'] });
    expect(received).toHaveLength(1);
    expect(logger.at('warn')).toEqual([
      { level: 'warn', message: 'configuration changes not applied: they need a restart', fields: { needRestart: ['logging.level'] } },
    ]);
  });

  it('only a non-reloadable key changed - unchanged, the key named as needing a restart, nothing handed out', async () => {
    const reloader = started();
    await writeFile(file, yaml({ port: 9099 }));

    expect(reloader.reload()).toEqual({ kind: 'unchanged', needRestart: ['server.http.port'] });

    expect(received).toEqual([]);
  });

  it('a setting from the environment - still applied on reload (same sources as at start), so no restart is reported', async () => {
    env = { TELEMETRYFLOW_MCP_LOGGING__LEVEL: 'debug' };
    const reloader = started();
    await writeFile(file, yaml({ keys: [KEY_B] }));

    expect(reloader.reload()).toEqual({ kind: 'applied', reloaded: ['mcp.request_state'], needRestart: [] });
  });

  it('YAML that does not parse - invalid: the loader\'s text (file and line) logged, nothing handed out', async () => {
    const reloader = started();
    await writeFile(file, 'mcp:\n  request_state:\n    keys: [unclosed\n');

    const outcome = reloader.reload();

    expect(outcome.kind).toBe('invalid');
    expect(received).toEqual([]);
    const [line] = logger.at('error');
    expect(line.message).toBe('configuration reload refused; the running configuration stays');
    expect(line.fields.problem).toMatch(/not valid YAML/);
    expect(line.fields.problem).toContain('tfo-mcp.yaml line');
  });

  it('a key shorter than 32 characters - invalid, naming the key and line, never echoing the value', async () => {
    const reloader = started();
    await writeFile(file, yaml({ keys: ['short-but-secret-value'] }));

    const outcome = reloader.reload();

    expect(outcome).toEqual({ kind: 'invalid', problem: 'tfo-mcp.yaml line 3 (mcp.request_state.keys.0): a request_state key must be at least 32 characters' });
    expect(logger.text()).not.toContain('short-but-secret-value');
  });

  it('the file removed - invalid ("file not found"); the next good reload compares with what was last applied', async () => {
    const reloader = started();
    await rm(file);
    expect(reloader.reload()).toEqual({ kind: 'invalid', problem: expect.stringContaining('file not found') });

    await writeFile(file, yaml());
    expect(reloader.reload().kind).toBe('unchanged');
    await writeFile(file, yaml({ keys: [KEY_B] }));
    expect(reloader.reload().kind).toBe('applied');
  });

  it('an edit reverted - applied again, handing back the original keys', async () => {
    const reloader = started();
    await writeFile(file, yaml({ keys: [KEY_B] }));
    reloader.reload();
    await writeFile(file, yaml());

    expect(reloader.reload().kind).toBe('applied');

    expect(received.map((parts) => parts.requestState.keys)).toEqual([[KEY_B], [KEY_A]]);
  });

  it('a subscriber that throws - failed, logged, the others still called; the next reload hands it out again', async () => {
    const reloader = started();
    let calls = 0;
    reloader.subscribe(() => {
      calls++;
      if (calls === 1) throw new RangeError('key too short');
    });
    await writeFile(file, yaml({ keys: [KEY_B] }));

    expect(reloader.reload()).toEqual({ kind: 'failed', problem: 'applying the reloaded configuration failed: key too short' });
    expect(received).toHaveLength(1);
    expect(reloader.reload().kind).toBe('applied');

    expect(calls).toBe(2);
    expect(received).toHaveLength(2);
  });
});

describe('changedKeys', () => {
  it('nested sections - the dotted names of the leaves that differ, lists compared whole', () => {
    const before = { a: { b: 1, c: [1, 2], d: { e: 'x' } }, f: true };
    const after = { a: { b: 1, c: [1, 3], d: { e: 'y' }, g: 0 }, f: true };

    expect(changedKeys(before, after)).toEqual(['a.c', 'a.d.e', 'a.g']);
  });

  it('equal values - nothing', () => {
    expect(changedKeys({ a: [1], b: { c: null } }, { a: [1], b: { c: null } })).toEqual([]);
  });
});

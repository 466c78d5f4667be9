import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../../../src/infrastructure/config/config-loader.js';
import { redactConfig } from '../../../src/infrastructure/config/redact.js';

// The `claude` section: defaults, where the key and URL may come from, and that the key stays hidden.
const KEY = 'sk-ant-config-secret-42';
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function load(env: Record<string, string>, yaml?: string) {
  dir = mkdtempSync(path.join(tmpdir(), 'tfo-claude-'));
  if (yaml !== undefined) writeFileSync(path.join(dir, 'tfo-mcp.yaml'), yaml);
  return loadConfig({ env, cwd: dir, version: '0.0.0-test' });
}

describe('claude config', () => {
  it('defaults - a current model, the API backend, read-only tools only, no key', () => {
    expect(load({}).claude).toEqual({
      backend: 'api',
      model: 'claude-sonnet-5-5',
      max_tokens: 4096,
      timeout_ms: 60_000,
      max_retries: 2,
      max_iterations: 10,
      allowed_tools: ['read_file', 'list_directory', 'search_files', 'system_info', 'get_system_status', 'check_command_exists'],
      context_budget_tokens: 150_000,
      prompt_caching: true,
    });
  });

  it('the shipped tfo-mcp.yaml - its claude section is the defaults', () => {
    const shipped = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../tfo-mcp.yaml');

    const fromFile = loadConfig({ env: {}, cwd: path.dirname(shipped), configPath: shipped, version: '0.0.0-test' }).claude;

    expect(fromFile).toEqual(load({}).claude);
  });

  it('ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL - read when nothing else sets them', () => {
    const claude = load({ ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: 'http://127.0.0.1:4010' }).claude;

    expect(claude.api_key).toBe(KEY);
    expect(claude.base_url).toBe('http://127.0.0.1:4010');
  });

  it('precedence - tfo-mcp.yaml beats ANTHROPIC_*, TELEMETRYFLOW_MCP_CLAUDE__* beats both', () => {
    const yaml = 'claude:\n  api_key: sk-ant-from-file\n  base_url: http://file.local\n';

    expect(load({ ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: 'http://env.local' }, yaml).claude).toMatchObject({ api_key: 'sk-ant-from-file', base_url: 'http://file.local' });
    expect(load({ ANTHROPIC_API_KEY: KEY, TELEMETRYFLOW_MCP_CLAUDE__API_KEY: 'sk-ant-prefixed' }, yaml).claude.api_key).toBe('sk-ant-prefixed');
  });

  it('an empty ANTHROPIC_API_KEY - unset, not an error', () => {
    expect(load({ ANTHROPIC_API_KEY: '' }).claude.api_key).toBeUndefined();
  });

  it('a bad ANTHROPIC_BASE_URL - stops start-up naming the variable and the key', () => {
    const error = (() => {
      try {
        load({ ANTHROPIC_BASE_URL: 'not a url' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('ANTHROPIC_BASE_URL="not a url" (claude.base_url)');
  });

  it('a bad value next to ANTHROPIC_API_KEY - the error never shows the key', () => {
    const error = (() => {
      try {
        load({ ANTHROPIC_API_KEY: KEY, TELEMETRYFLOW_MCP_CLAUDE__MAX_RETRIES: 'many', TELEMETRYFLOW_MCP_CLAUDE__BACKEND: 'telepathy' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();

    expect((error as Error).message).toContain('claude.max_retries');
    expect((error as Error).message).toContain('claude.backend');
    expect((error as Error).message).not.toContain(KEY);
  });

  it('redaction - the key from ANTHROPIC_API_KEY is [redacted] in what config print and config://server show', () => {
    const shown = JSON.stringify(redactConfig(load({ ANTHROPIC_API_KEY: KEY })));

    expect(shown).toContain('"api_key":"[redacted]"');
    expect(shown).not.toContain(KEY);
  });
});

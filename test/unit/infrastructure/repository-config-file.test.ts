import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../../src/infrastructure/config/config-loader.js';

const repoRoot = resolve(new URL('.', import.meta.url).pathname, '../../..');

describe('the repository tfo-mcp.yaml', () => {
  const empty = mkdtempSync(join(tmpdir(), 'tfo-defaults-'));
  afterAll(() => rmSync(empty, { recursive: true, force: true }));

  it('parses without errors and states exactly the built-in defaults', () => {
    const documented = loadConfig({ configPath: join(repoRoot, 'tfo-mcp.yaml'), env: {}, cwd: empty, version: '1.0.0' });
    const defaults = loadConfig({ env: {}, cwd: empty, version: '1.0.0' });
    expect(documented).toEqual(defaults);
  });
});

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Absolute path of the built server (dist/main.js); e2e tests run the build, never the sources. */
export function builtServerPath(): string {
  const main = path.join(PROJECT_ROOT, 'dist', 'main.js');
  if (!existsSync(main)) {
    throw new Error(`the built server is missing at ${main}: run \`npm run build\` (tsc -p tsconfig.json) before the e2e tests`);
  }
  return main;
}

/**
 * The environment a desktop host gives a server: the SDK's small inherited set (PATH, HOME…)
 * plus what the host configured. Never the test runner's own (NODE_OPTIONS, stray TELEMETRYFLOW_*).
 */
export function serverEnv(env: Record<string, string>): Record<string, string> {
  return { ...getDefaultEnvironment(), ...env };
}

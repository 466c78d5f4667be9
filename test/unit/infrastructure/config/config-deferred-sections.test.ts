import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { z } from 'zod';
import { authSchema } from '../../../../src/infrastructure/config/auth.schema.js';
import { ConfigError, loadConfig, type LoadOptions } from '../../../../src/infrastructure/config/config-loader.js';
import { keysAt } from '../../../../src/infrastructure/config/config-problems.js';
import { configSchemaFor } from '../../../../src/infrastructure/config/config.schema.js';
import { rateLimitsDefaults, rateLimitsSchema } from '../../../../src/infrastructure/config/rate-limits.schema.js';
import { telemetryDefaults, telemetrySchema } from '../../../../src/infrastructure/config/telemetry.schema.js';
import { otlpSchema } from '../../../../src/infrastructure/telemetry/tracing/otlp.schema.js';

/** Whether a z.lazy has built its schema yet: zod 4 keeps the built schema on the lazy's definition. */
const built = (schema: z.ZodLazy) => (schema._zod.def as { _cachedInner?: unknown })._cachedInner !== undefined;

/**
 * auth, rate_limits and telemetry are built only when the configuration has them (start-up cost,
 * config.schema.ts). This file runs first in its own module registry, so nothing has built them
 * before the first test; the order of the tests matters.
 */
describe('config sections built only when present', () => {
  let cwd: string;

  beforeEach(async () => {
    cwd = await realpath(await mkdtemp(path.join(tmpdir(), 'tfo-config-deferred-')));
  });

  afterEach(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  const load = (options: Partial<LoadOptions> = {}) => loadConfig({ env: {}, cwd, version: '1.0.0', ...options });

  it('a configuration without them - none of the three (nor otlp) is built, and the defaults are what an empty section gives', () => {
    const config = load();

    expect([authSchema, rateLimitsSchema, telemetrySchema, otlpSchema].map(built)).toEqual([false, false, false, false]);
    expect('auth' in config).toBe(false);
    expect(config.rate_limits).toEqual(rateLimitsDefaults());
    expect(config.telemetry).toEqual(telemetryDefaults());
  });

  it('a section that is there - built, and checked at load with the key named', () => {
    const error = (() => {
      try {
        load({ env: { TELEMETRYFLOW_MCP_RATE_LIMITS__STORE_TIMEOUT_MS: '5' } });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe('rate_limits.store_timeout_ms');
    expect(built(rateLimitsSchema)).toBe(true);
    expect([authSchema, telemetrySchema].map(built)).toEqual([false, false]);
  });

  it('an unknown key inside a section built on use - still suggests the key meant', async () => {
    await writeFile(path.join(cwd, 'tfo-mcp.yaml'), 'auth:\n  api_key_stor: postgres\n');

    expect(() => load()).toThrow('unknown key "api_key_stor" in auth (did you mean api_key_store?)');
    expect(built(authSchema)).toBe(true);
  });

  it('the written-out defaults - the same values, in the same key order, as the schemas make of an empty section', () => {
    expect(JSON.stringify(rateLimitsDefaults())).toBe(JSON.stringify(rateLimitsSchema.parse({})));
    expect(JSON.stringify(telemetryDefaults())).toBe(JSON.stringify(telemetrySchema.parse({})));
  });

  /** The schema with all three sections in full. */
  const full = () => configSchemaFor({ auth: {}, rate_limits: {}, telemetry: {} });

  it('parsed without the sections - the same config as the full schema makes of it, key order included', () => {
    const input = { server: { name: 'x' }, logging: { level: 'warn' } };
    const configSchema = full();

    expect(configSchemaFor(input)).not.toBe(configSchema);
    expect(JSON.stringify(configSchemaFor(input).parse(input))).toBe(JSON.stringify(configSchema.parse(input)));
    expect(keysAt(configSchemaFor(input), [])).toEqual(keysAt(configSchema, []));
  });

  it('a section given as null - parsed with its full schema, so the problem reads as before', () => {
    const input = { auth: null, rate_limits: null, telemetry: null };
    const configSchema = full();

    expect(configSchemaFor(input)).toBe(configSchema);
    expect(configSchema.safeParse(input).error?.issues.map((issue) => issue.path.join('.'))).toEqual(['auth', 'rate_limits', 'telemetry']);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { builtServerPath } from '../../support/server-path.js';

/**
 * The unauthenticated hot path must not move: the built server loads nothing of authentication or
 * rate limiting unless `auth` or `rate_limits` is configured. Everything main.js imports statically
 * loads at start-up, so none of it may hold jose, rate-limiter-flexible, the authenticators or the
 * edge's admission; each sits in a chunk of its own, imported on demand.
 */
const LAZY = {
  'jose (OAuth JWT verification)': 'ERR_JWKS_NO_MATCHING_KEY',
  'the OAuth authenticator': 'token lacks the required scope',
  'the API key authenticator': 'more than one X-API-Key header',
  'rate-limiter-flexible': 'RateLimiterRes',
  'the rate limiter': 'rate_limits.store is redis',
  'the HTTP admission': 'Bearer realm=',
};

/** main.js and every chunk it imports statically, transitively. */
function startupFiles(main: string): string[] {
  const seen = new Set<string>();
  const pending = [main];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/^\s*(?:import|export)\s*(?:[^'"()]*?\sfrom\s*)?["'](\.{1,2}\/[^"']+\.js)["']/gm)) {
      pending.push(path.resolve(path.dirname(file), match[1]!));
    }
  }
  return [...seen];
}

describe('bundle: authentication and rate limits stay out of start-up', () => {
  const main = builtServerPath();
  const startup = startupFiles(main);

  it.each(Object.entries(LAZY))('%s – in no file loaded at start-up', (_, marker) => {
    expect(startup.length).toBeGreaterThan(1);
    expect(startup.filter((file) => readFileSync(file, 'utf8').includes(marker)).map((file) => path.basename(file))).toEqual([]);
  });

  it.each(Object.entries(LAZY))('%s – in the bundle all the same, in a chunk of its own (so the check above is not vacuous)', (_, marker) => {
    const dir = path.join(path.dirname(main), 'chunks');
    const holders = readdirSync(dir).filter((name) => name.endsWith('.js') && readFileSync(path.join(dir, name), 'utf8').includes(marker));
    expect(holders.length).toBeGreaterThan(0);
  });
});

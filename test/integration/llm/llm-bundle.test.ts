import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { startupFiles } from '../../support/bundle-startup.js';
import { builtServerPath } from '../../support/server-path.js';

// Cold start: the built server must not load @anthropic-ai/sdk until a Claude tool is called. The bundle
// (scripts/bundle.mjs) keeps dynamic imports as separate chunks; everything main.js imports statically
// loads at start-up, so none of that may hold SDK code.
const SDK_MARKERS = ['X-Stainless-Timeout', 'Anthropic/JS '];
const WIRING_MARKER = 'no API key: set claude.api_key or ANTHROPIC_API_KEY';

describe('bundle: @anthropic-ai/sdk stays out of start-up', () => {
  const main = builtServerPath();
  const startup = startupFiles(main);

  it('main.js and its static imports - no SDK code', () => {
    expect(startup.length).toBeGreaterThan(1);
    for (const file of startup) {
      const text = readFileSync(file, 'utf8');
      for (const marker of SDK_MARKERS) expect({ file: path.basename(file), marker, found: text.includes(marker) }).toEqual({ file: path.basename(file), marker, found: false });
    }
  });

  it('when the Claude wiring is in the server - the SDK is in a chunk loaded on demand', () => {
    const wired = startup.some((file) => readFileSync(file, 'utf8').includes(WIRING_MARKER));
    const chunks = readdirSync(path.join(path.dirname(main), 'chunks')).filter((name) => name.endsWith('.js'));
    const sdkChunks = chunks.filter((name) => SDK_MARKERS.every((marker) => readFileSync(path.join(path.dirname(main), 'chunks', name), 'utf8').includes(marker)));

    expect(sdkChunks.length).toBe(wired ? 1 : 0);
  });
});

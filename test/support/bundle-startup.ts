import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';

/**
 * What the built server loads at start-up: main.js and every chunk it imports statically,
 * transitively (scripts/bundle.mjs keeps dynamic imports as chunks of their own). Bundle tests use
 * it to hold optional subsystems (the Anthropic SDK, auth, telemetry) out of the cold start.
 */
export function startupFiles(main: string): string[] {
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

/** The start-up files whose text contains `marker` (basenames). */
export function startupFilesHolding(startup: readonly string[], marker: string): string[] {
  return startup.filter((file) => readFileSync(file, 'utf8').includes(marker)).map((file) => path.basename(file));
}

/** The chunks of the bundle next to `main` whose text contains `marker` (so an absence at start-up is not vacuous). */
export function chunksHolding(main: string, marker: string): string[] {
  const dir = path.join(path.dirname(main), 'chunks');
  return readdirSync(dir).filter((name) => name.endsWith('.js') && readFileSync(path.join(dir, name), 'utf8').includes(marker));
}

/**
 * The two checks every optional subsystem gets: each marker (a string only that subsystem's code
 * holds) is in no file loaded at start-up, and is in some chunk of the bundle all the same.
 */
export function describeKeptOutOfStartup(title: string, markers: Readonly<Record<string, string>>, main: () => string): void {
  describe(title, () => {
    const server = main();
    const startup = startupFiles(server);

    it.each(Object.entries(markers))('%s – in no file loaded at start-up', (_, marker) => {
      expect(startup.length).toBeGreaterThan(1);
      expect(startupFilesHolding(startup, marker)).toEqual([]);
    });

    it.each(Object.entries(markers))('%s – in the bundle all the same, in a chunk of its own (so the check above is not vacuous)', (_, marker) => {
      expect(chunksHolding(server, marker).length).toBeGreaterThan(0);
    });
  });
}

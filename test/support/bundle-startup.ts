import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

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

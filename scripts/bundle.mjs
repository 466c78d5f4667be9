#!/usr/bin/env node
// Bundles tsc's per-module output (dist/modules) into the entry the server ships as: dist/main.js,
// plus dist/chunks/ for the adapters that load only when configured (Postgres, Redis, NATS,
// ClickHouse stay dynamic imports, so a server on its embedded defaults never loads them).
//
// Why: cold start. Unbundled, Node resolves, reads and compiles ~900 ES modules (inversify's
// packages alone are ~400 files, ~110 ms); one file cuts spawn → initialize answer roughly in half.
// dist/modules stays: the same code module by module, for profiles that attribute time per file
// (bench/profile.mjs --modules) and for reading stack traces.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

rmSync(`${root}/dist/chunks`, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { main: 'dist/modules/main.js' },
  outdir: 'dist',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  // pg's optional native binding: loaded by pg only when asked for, and not installed. ssh2 (the ssh
  // backend, and dockerode's docker-modem for ssh:// engines) and cpu-features ship optional .node
  // binaries a bundle cannot hold: they load from node_modules, and only when those backends are chosen.
  external: ['pg-native', 'ssh2', 'cpu-features'],
  // Bundled CommonJS packages call require() for Node built-ins and may read __dirname.
  banner: {
    js: [
      "import { createRequire as __tfoCreateRequire } from 'node:module';",
      "import { fileURLToPath as __tfoFileURLToPath } from 'node:url';",
      "import { dirname as __tfoDirname } from 'node:path';",
      'const require = __tfoCreateRequire(import.meta.url);',
      'const __filename = __tfoFileURLToPath(import.meta.url);',
      'const __dirname = __tfoDirname(__filename);',
    ].join('\n'),
  },
  logLevel: 'warning',
  metafile: true,
});
const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith('.js'));
const kb = (bytes) => `${Math.round(bytes / 1024)} KB`;
const main = outputs.find(([file]) => file === 'dist/main.js');
process.stderr.write(`bundle: dist/main.js ${kb(main[1].bytes)} + ${outputs.length - 1} chunks\n`);

#!/usr/bin/env node
// Assembles what the runtime image holds, in the Dockerfile's build stage, after `npm run build`:
//
//   node scripts/container/runtime-tree.mjs OUT_DIR
//
// OUT_DIR gets dist/main.js and dist/chunks/*.js (the esbuild bundle: no source maps, no dist/modules),
// package.json (the server reads its version there), tfo-mcp.yaml, and a node_modules holding only the
// packages the bundle leaves outside (scripts/bundle.mjs `external`: ssh2 and its optional natives),
// with their dependencies, at the versions the lock installed.
//
// Why not `npm prune --omit=dev` and copy node_modules: esbuild already put every other package into the
// bundle, so that copy (about 50 MB) is never loaded. The externals are found in the bundle itself (its
// bare `import`/`require` specifiers), so a package that becomes external later is picked up here
// without a second list to keep in step.
//
// An optional dependency is copied only when it ships a compiled addon (a `.node` file): the optional
// ones here are native helpers (cpu-features) or headers for compiling them (nan); without their
// binary (install scripts do not run in the build) the package that wants them falls back to plain
// JavaScript, and copying them would add bytes that never run. An external that is not installed at
// all (pg-native: pg loads it only when asked to) is reported and left out.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';

const out = process.argv[2];
if (!out) {
  process.stderr.write('usage: node scripts/container/runtime-tree.mjs OUT_DIR\n');
  process.exit(2);
}
const root = process.cwd();
const builtins = new Set(builtinModules);

// --- The bundle ---------------------------------------------------------------------------------
const chunkDir = join(root, 'dist/chunks');
const bundleFiles = ['dist/main.js', ...readdirSync(chunkDir).filter((f) => f.endsWith('.js')).map((f) => `dist/chunks/${f}`)];
mkdirSync(join(out, 'dist/chunks'), { recursive: true });
for (const file of bundleFiles) cpSync(join(root, file), join(out, file));
for (const file of ['package.json', 'tfo-mcp.yaml']) cpSync(join(root, file), join(out, file));

// --- Bare specifiers the bundle still loads at run time --------------------------------------------
// `from "x"`, `import("x")`, `require("x")` / `__require("x")` as code. A require inside a string or a
// template (ajv's code generator writes `require("ajv/dist/runtime/…")` into generated source) is preceded
// by a quote or a backtick and is not a load.
const specifier = /(?:\bfrom\s*|\bimport\(\s*|(?<![\w$.'"`])(?:__)?require\(\s*)"((?:@[\w.-]+\/)?\w[\w.-]*(?:\/[\w.@-]+)*)"/g;
const packageOf = (spec) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');
const externals = new Set();
for (const file of bundleFiles) {
  for (const match of readFileSync(join(root, file), 'utf8').matchAll(specifier)) {
    const name = packageOf(match[1]);
    if (!name.startsWith('node:') && !builtins.has(name)) externals.add(name);
  }
}

// --- Their dependency closure, resolved the way Node resolves it ---------------------------------------
/** The installed directory of `name` as seen from `fromDir` (walking up node_modules), or undefined. */
function resolvePackage(name, fromDir) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dir === dirname(dir)) return undefined;
  }
}
function hasAddon(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.node')) return true;
    if (entry.isDirectory() && entry.name !== 'node_modules' && hasAddon(join(dir, entry.name))) return true;
  }
  return false;
}
const copied = new Map();
const notes = [];
function take(name, fromDir, why) {
  const dir = resolvePackage(name, fromDir);
  if (!dir) {
    notes.push(`${name}: not installed, left out (${why})`);
    return;
  }
  if (copied.has(dir)) return;
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  copied.set(dir, `${manifest.name}@${manifest.version}`);
  for (const dep of Object.keys(manifest.dependencies ?? {})) take(dep, dir, `a dependency of ${name}`);
  for (const dep of Object.keys(manifest.optionalDependencies ?? {})) {
    const depDir = resolvePackage(dep, dir);
    if (depDir && hasAddon(depDir)) take(dep, dir, `an optional addon of ${name}`);
    else notes.push(`${dep}: optional for ${name}, no compiled addon, left out`);
  }
}
for (const name of [...externals].sort()) take(name, root, 'external in the bundle, optional at run time');

const size = (path) => {
  const stat = statSync(path);
  return stat.isDirectory() ? readdirSync(path).reduce((sum, entry) => sum + size(join(path, entry)), 0) : stat.size;
};
for (const dir of copied.keys()) {
  const target = join(out, relative(root, dir));
  // A nested node_modules inside a package holds its own versions; take only those the walk reached.
  cpSync(dir, target, { recursive: true, filter: (src) => !relative(dir, src).split('/').includes('node_modules') });
}

const mb = (bytes) => `${(bytes / 1048576).toFixed(1)} MB`;
const lines = [
  `runtime tree: ${bundleFiles.length} bundle files ${mb(bundleFiles.reduce((s, f) => s + size(join(root, f)), 0))}`,
  `externals in the bundle: ${[...externals].sort().join(', ') || 'none'}`,
  `node_modules: ${[...copied.values()].sort().join(', ') || 'none'} (${existsSync(join(out, 'node_modules')) ? mb(size(join(out, 'node_modules'))) : '0 MB'})`,
  ...notes.map((note) => `  ${note}`),
];
process.stderr.write(`${lines.join('\n')}\n`);

import { parseArgs } from 'node:util';

/**
 * `tfo-mcp keys hash|create|list|revoke`. The key material and the key store come in through
 * `io.keys` (the entry builds them from the server's own config loader), so this file parses
 * arguments and words the output, and a key is written exactly once: to stdout, when it is made.
 */
export const KEYS_USAGE = `       tfo-mcp keys hash                  (hashes a key read on stdin, or makes a new one)
       tfo-mcp keys create --name NAME --grants tools:read_file,resources:file [--expires-at 2027-01-31] [--rate-limit-class CLASS] [--json] [--config PATH]
       tfo-mcp keys list [--revoked] [--json] [--config PATH]
       tfo-mcp keys revoke NAME [--config PATH]
`;

export interface TextOut {
  write(text: string): unknown;
}

/** stdin: a key piped in, or a terminal (then a new key is made). */
export interface KeyInput extends AsyncIterable<string | Uint8Array> {
  readonly isTTY?: boolean;
}

export interface KeyListing {
  readonly name: string;
  readonly id: string;
  readonly source: 'config' | 'postgres';
  readonly grants: readonly string[];
  readonly expiresAt?: string;
  readonly rateLimitClass?: string;
  readonly createdAt?: string;
  readonly revokedAt?: string;
}

export interface KeyRegistry {
  readonly store: 'config' | 'postgres';
  list(includeRevoked: boolean): Promise<KeyListing[]>;
  create(request: { name: string; grants: readonly string[]; expiresAt?: string; rateLimitClass?: string }): Promise<{ key: string; listing: KeyListing }>;
  revoke(name: string): Promise<void>;
  close(): Promise<void>;
}

export interface KeyTools {
  generate(): string;
  hash(key: string): Promise<string>;
  /** Why a piped-in value is not a key this server issues; undefined when it is one. */
  problemWith(key: string): string | undefined;
  /** The key store named by the configuration at `configPath` (or the default file and environment). */
  open(configPath: string | undefined): Promise<KeyRegistry> | KeyRegistry;
}

export interface KeysCommandIo {
  readonly stdin: KeyInput;
  readonly stdout: TextOut;
  readonly stderr: TextOut;
  readonly keys: KeyTools;
}

class KeysUsageError extends Error {
  readonly exitCode = 2;
}

/** Longer input than any key is refused without being read further. */
const MAX_STDIN_BYTES = 4096;

/** Runs one `keys` subcommand (`argv` is what follows `keys`); resolves to the process exit code. */
export async function runKeysCommand(argv: readonly string[], io: KeysCommandIo): Promise<number> {
  let sub = '';
  try {
    const { values, positionals: words } = parsed(argv);
    sub = words[0] ?? '';
    const positionals = words.slice(1);
    if (values.help) {
      io.stdout.write(`Usage:\n${KEYS_USAGE}`);
      return 0;
    }
    switch (sub) {
      case 'hash':
        expectOnly(values, positionals, ['config'], 0);
        await hash(io);
        return 0;
      case 'create':
        expectOnly(values, positionals, ['config', 'name', 'grants', 'expires-at', 'rate-limit-class', 'json'], 0);
        await withRegistry(io, values.config, (registry) => create(io, registry, values));
        return 0;
      case 'list':
        expectOnly(values, positionals, ['config', 'revoked', 'json'], 0);
        await withRegistry(io, values.config, (registry) => list(io, registry, values.revoked === true, values.json === true));
        return 0;
      case 'revoke':
        expectOnly(values, positionals, ['config'], 1);
        await withRegistry(io, values.config, async (registry) => {
          await registry.revoke(positionals[0]);
          io.stdout.write(`revoked "${positionals[0]}"; every server refuses it within seconds\n`);
        });
        return 0;
      default:
        throw new KeysUsageError(sub === '' ? 'which one: hash, create, list or revoke?' : `unknown subcommand "${sub}"; expected hash, create, list or revoke`);
    }
  } catch (error) {
    const exitCode = (error as { exitCode?: unknown }).exitCode;
    const message = error instanceof Error ? error.message : String(error);
    const usage = error instanceof KeysUsageError ? `\n\nUsage:\n${KEYS_USAGE}` : '';
    io.stderr.write(`tfo-mcp: keys${sub ? ` ${sub}` : ''}: ${message}${usage}\n`);
    return exitCode === 1 || exitCode === 2 ? exitCode : 1;
  }
}

type Values = ReturnType<typeof parsed>['values'];

function parsed(args: readonly string[]) {
  try {
    return parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        name: { type: 'string' },
        grants: { type: 'string' },
        'expires-at': { type: 'string' },
        'rate-limit-class': { type: 'string' },
        json: { type: 'boolean' },
        revoked: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new KeysUsageError((error as Error).message);
  }
}

/** A flag meant for another subcommand is an error, never ignored: it would hide a mistyped command. */
function expectOnly(values: Values, positionals: readonly string[], allowed: readonly string[], positionalCount: number): void {
  const stray = Object.keys(values).find((name) => name !== 'help' && !allowed.includes(name));
  if (stray) throw new KeysUsageError(`--${stray} does not apply here`);
  if (positionals.length !== positionalCount) {
    throw new KeysUsageError(positionalCount === 0 ? `unexpected argument "${positionals[0]}"` : 'expected exactly one key NAME');
  }
}

async function withRegistry(io: KeysCommandIo, configPath: string | undefined, use: (registry: KeyRegistry) => Promise<void>): Promise<void> {
  const registry = await io.keys.open(configPath);
  try {
    await use(registry);
  } finally {
    await registry.close();
  }
}

async function hash(io: KeysCommandIo): Promise<void> {
  const piped = io.stdin.isTTY ? '' : await readInput(io.stdin);
  if (piped === '') {
    const key = io.keys.generate();
    io.stdout.write(`key:  ${key}\nhash: ${await io.keys.hash(key)}\n`);
    io.stderr.write('The key is shown once: hand it to the client now. Put the hash (never the key) in auth.api_keys with a name and grants.\n');
    return;
  }
  const problem = io.keys.problemWith(piped);
  if (problem) throw new KeysUsageError(`stdin does not hold an API key: ${problem}`);
  io.stdout.write(`${await io.keys.hash(piped)}\n`);
}

async function readInput(input: KeyInput): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
    size += bytes.length;
    if (size > MAX_STDIN_BYTES) throw new KeysUsageError(`stdin holds more than ${MAX_STDIN_BYTES} bytes; an API key is one short line`);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks).toString('utf8').trim();
}

async function create(io: KeysCommandIo, registry: KeyRegistry, values: Values): Promise<void> {
  if (values.name === undefined) throw new KeysUsageError('--name NAME is required');
  if (values.grants === undefined) throw new KeysUsageError('--grants is required, e.g. --grants tools:read_file,resources:file');
  const grants = values.grants.split(',').map((grant) => grant.trim()).filter((grant) => grant !== '');
  const { key, listing } = await registry.create({
    name: values.name,
    grants,
    ...(values['expires-at'] !== undefined ? { expiresAt: values['expires-at'] } : {}),
    ...(values['rate-limit-class'] !== undefined ? { rateLimitClass: values['rate-limit-class'] } : {}),
  });
  if (values.json) io.stdout.write(`${JSON.stringify({ key, ...listing })}\n`);
  else io.stdout.write(`key:  ${key}\n${describe(listing)}`);
  io.stderr.write(`The key is shown once: hand it to the client now. Revoke it with: tfo-mcp keys revoke ${listing.name}\n`);
}

async function list(io: KeysCommandIo, registry: KeyRegistry, includeRevoked: boolean, json: boolean): Promise<void> {
  const keys = await registry.list(includeRevoked);
  if (json) {
    io.stdout.write(`${JSON.stringify(keys)}\n`);
    return;
  }
  if (keys.length === 0) {
    io.stdout.write(`no API keys (auth.api_key_store: ${registry.store})\n`);
    return;
  }
  const rows = [['NAME', 'ID', 'SOURCE', 'GRANTS', 'EXPIRES', 'CLASS', 'CREATED', 'REVOKED']];
  for (const key of keys) {
    rows.push([key.name, key.id, key.source, key.grants.join(','), key.expiresAt ?? '-', key.rateLimitClass ?? '-', key.createdAt ?? '-', key.revokedAt ?? '-']);
  }
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  io.stdout.write(rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd()).join('\n') + '\n');
}

function describe(listing: KeyListing): string {
  const lines = [`name: ${listing.name}`, `id:   ${listing.id}`, `grants: ${listing.grants.join(', ')}`];
  if (listing.expiresAt) lines.push(`expires_at: ${listing.expiresAt}`);
  if (listing.rateLimitClass) lines.push(`rate_limit_class: ${listing.rateLimitClass}`);
  return `${lines.join('\n')}\n`;
}

import { readFileSync, statSync } from 'node:fs';
import { MIN_SECRET_BYTES } from './host-agent-protocol.js';

/**
 * The shared secret, from a file only (never a flag or variable, which show up in `ps` and
 * /proc/<pid>/environ). Surrounding whitespace is dropped, so `echo secret > file` works. The
 * value never appears in an error: only the file's name and its length do.
 */
export function readSecret(file: string, key: string): Buffer {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (error) {
    throw new Error(`${key}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const secret = Buffer.from(raw.toString('utf8').trim(), 'utf8');
  raw.fill(0);
  if (secret.length < MIN_SECRET_BYTES) {
    throw new Error(`${key}: the secret in ${file} has ${secret.length} bytes; at least ${MIN_SECRET_BYTES} are required (e.g. openssl rand -hex 32)`);
  }
  return secret;
}

/** Group- or world-readable secret files deserve a warning, not a refusal: some deployments mount them 0644. */
export function secretFileIsPrivate(file: string): boolean {
  return (statSync(file).mode & 0o077) === 0;
}

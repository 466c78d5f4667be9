import { createHash } from 'node:crypto';
import { SshExecutorError } from './ssh-errors.js';

const FINGERPRINT = /^SHA256:([A-Za-z0-9+/]{43})=?$/;
const KEY_TYPE = /^(ssh-|ecdsa-|sk-)/;

/** OpenSSH's fingerprint of a host key blob: `SHA256:` + unpadded base64 of its sha256. */
export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * The fingerprint a configured `host_key` pins. Accepts `SHA256:<base64>` (as `ssh-keygen -lf` prints it),
 * a public key line (`ssh-ed25519 AAAA… comment`, the `.pub` file) or a known_hosts line (`host type
 * AAAA…`). Anything else is a configuration error: there is no trust-on-first-use to fall back to.
 */
export function pinnedFingerprint(hostKey: string, where: string): string {
  const text = hostKey.trim();
  const fingerprint = FINGERPRINT.exec(text);
  if (fingerprint) return `SHA256:${fingerprint[1]}`;
  const words = text.split(/\s+/);
  const at = words.findIndex((word) => KEY_TYPE.test(word));
  const blob = at >= 0 && words[at + 1] ? keyBlob(words[at]!, words[at + 1]!) : undefined;
  if (!blob) {
    throw new SshExecutorError(
      'ssh.invalid_config',
      `host_key of ${where} is neither a public key line ("ssh-ed25519 AAAA…") nor a SHA256:<base64> fingerprint`,
    );
  }
  return fingerprintOf(blob);
}

/** The base64 blob of a key line, if it decodes to a key of the named type (its first field). */
function keyBlob(type: string, base64: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  const blob = Buffer.from(base64, 'base64');
  if (blob.length < 4) return undefined;
  const length = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + length).toString('latin1') === type ? blob : undefined;
}

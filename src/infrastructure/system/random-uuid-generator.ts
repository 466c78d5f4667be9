import { randomFillSync } from 'node:crypto';
import type { IdGenerator } from '../../application/ports/clock.js';

const POOL_IDS = 256;
/** The ASCII hex digits of every byte value: high digit at 2·byte, low digit at 2·byte + 1. */
const HEX_DIGITS = new Uint8Array(512);
for (let byte = 0; byte < 256; byte += 1) {
  const hex = byte.toString(16).padStart(2, '0');
  HEX_DIGITS[2 * byte] = hex.charCodeAt(0);
  HEX_DIGITS[2 * byte + 1] = hex.charCodeAt(1);
}
/** Byte offsets of the 16 bytes' hex pairs in `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`. */
const PAIR_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
const DASH = 0x2d;

/**
 * UUID v4: 122 random bits from the CSPRNG, drawn from a pooled buffer.
 *
 * Not `crypto.randomUUID()`: it builds its string by concatenating hex pieces, so each id is a
 * tree of some twenty cons-string nodes. Ids live as long as the aggregates and events that carry
 * them, so every node survived the young generation and was promoted (measured: see ADR 006).
 * Written into a byte buffer and read back as latin1, an id is one flat 36-byte string.
 */
export class RandomUuidGenerator implements IdGenerator {
  private readonly pool = Buffer.allocUnsafe(16 * POOL_IDS);
  private offset = this.pool.length;
  private readonly text = Buffer.alloc(36, DASH);

  next(): string {
    if (this.offset === this.pool.length) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    const pool = this.pool;
    const at = this.offset;
    this.offset += 16;
    pool[at + 6] = (pool[at + 6]! & 0x0f) | 0x40; // version 4
    pool[at + 8] = (pool[at + 8]! & 0x3f) | 0x80; // variant 10
    const text = this.text;
    for (let i = 0; i < 16; i += 1) {
      const digits = 2 * pool[at + i]!;
      const p = PAIR_AT[i]!;
      text[p] = HEX_DIGITS[digits]!;
      text[p + 1] = HEX_DIGITS[digits + 1]!;
    }
    return text.toString('latin1', 0, 36);
  }
}

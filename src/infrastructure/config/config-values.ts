import { z } from 'zod';

/** Env values arrive as strings: lists may be JSON arrays or comma-separated. */
export const listOf = (item: z.ZodString) => z.preprocess(splitList, z.array(item));

function splitList(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  if (trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return value;
    }
  }
  return trimmed === '' ? [] : trimmed.split(',').map((item) => item.trim());
}

export const list = listOf(z.string().min(1));

export const bool = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value;
}, z.boolean());

/** Whole numbers in a range; every failure (not a number, a fraction, out of range) says the range. */
export const int = (min: number, max: number, message = `expected an integer ${min}–${max}`) =>
  z.coerce.number({ error: message }).int({ error: message }).min(min, { error: message }).max(max, { error: message });

/** Bytes, as a number or with a binary suffix: 536870912, "512m", "1g", "64k"; at least 1 MiB. */
export const bytes = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt])?i?b?\s*$/i.exec(value);
  if (!match) return value;
  const scale = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[(match[2] ?? '').toLowerCase() as 'k'] ?? 1;
  return Math.floor(Number(match[1]) * scale);
}, z.number({ error: 'expected a size in bytes, e.g. 536870912 or "512m"' }).int().min(1024 * 1024, { error: 'expected at least 1 MiB' }));

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


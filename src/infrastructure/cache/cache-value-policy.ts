/**
 * What every cache adapter refuses to store, so the embedded cache and Redis agree: values over the
 * size limit (UTF-8 bytes), and lifetimes under 1 ms (Redis PX needs a positive integer).
 */
export function isStorable(value: string, ttlMs: number, maxValueBytes: number): boolean {
  if (!Number.isFinite(ttlMs) || ttlMs < 1) return false;
  // UTF-16 length ≤ UTF-8 bytes ≤ 3 × UTF-16 length: count bytes only when the bounds disagree.
  if (value.length * 3 <= maxValueBytes) return true;
  return value.length <= maxValueBytes && Buffer.byteLength(value, 'utf8') <= maxValueBytes;
}

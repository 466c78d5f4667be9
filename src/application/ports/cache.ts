/**
 * Port: a shared cache of tool results (and similar values). Misses are normal; an adapter whose
 * backend is down answers every get with a miss and every set with a no-op, never an error, so
 * callers keep working while readiness reports the problem.
 */
export interface Cache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
}

import { performance } from 'node:perf_hooks';
import { summarizeLatencies } from './stats.mjs';

/**
 * Runs `lanes` independent loops, each with one request in flight, until `durationMs` has passed
 * or `maxCalls` calls were issued, whichever comes first. The first error stops every lane and
 * is rethrown. Returns the call count, the elapsed wall time and the latency summary (and with
 * `keepLatencies` every latency, for summaries over several windows).
 */
export async function drive({ lanes, durationMs, maxCalls, call, keepLatencies = false }) {
  const latencies = [];
  let issued = 0;
  let failure;
  const start = performance.now();
  const end = start + durationMs;
  const lane = async (index) => {
    while (failure === undefined && issued < maxCalls && performance.now() < end) {
      const n = issued++;
      try {
        latencies.push(await call(index, n));
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: lanes }, (_, i) => lane(i)));
  const elapsedMs = performance.now() - start;
  if (failure !== undefined) throw failure;
  const calls = latencies.length;
  return { calls, elapsedMs, throughput: (calls * 1000) / elapsedMs, latency: summarizeLatencies(latencies), ...(keepLatencies ? { latencies } : {}) };
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` at once; the first error is rethrown. */
export async function pool(count, concurrency, task) {
  let next = 0;
  let failure;
  const worker = async () => {
    while (failure === undefined && next < count) {
      const i = next++;
      try {
        await task(i);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  if (failure !== undefined) throw failure;
}

/**
 * Forwarding only: src/composition/cache.wiring.ts still imports the adapter by its old name.
 * Delete this file once it imports RedisSseReplayStore from redis-sse-replay-store.js (issue 11).
 */
export { RedisSseReplayStore as RedisEventStore } from './redis-sse-replay-store.js';

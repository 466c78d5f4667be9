/**
 * Forwarding only: src/composition/cache.wiring.ts still imports the adapter by its old name.
 * Delete this file once it imports InMemorySseReplayStore from in-memory-sse-replay-store.js (issue 11).
 */
export { InMemorySseReplayStore as InMemoryEventStore } from './in-memory-sse-replay-store.js';

/**
 * Forwarding only: src/composition/cache.wiring.ts still imports the port by its old name. Delete
 * this file once it imports SseReplayStore from sse-replay-store.js (issue 11).
 */
export type { SseReplayStore as EventStore } from './sse-replay-store.js';

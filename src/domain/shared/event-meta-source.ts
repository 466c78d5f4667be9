import type { EventMeta } from './domain-event.js';

/** Aggregates need ids and timestamps for their events without importing a clock or RNG. */
export type EventMetaSource = () => EventMeta;

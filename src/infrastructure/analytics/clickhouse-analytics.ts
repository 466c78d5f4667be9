/**
 * Forwarding only: src/composition/events.wiring.ts still imports the reader by its old file name.
 * Delete this file once that import names clickhouse-tool-usage-reader.js (issue 11).
 */
export { ClickHouseToolUsageReader } from './clickhouse-tool-usage-reader.js';

/**
 * The facade moved to the application's ports (src/application/ports/tracer.ts) so the request path
 * can call it. Kept for one step as a re-export: bench/tracing-cost.mjs still imports it from here.
 */
export * from '../../../application/ports/tracer.js';

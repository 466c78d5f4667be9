import type { HealthCheck } from '../application/ports/health.js';

/** What each technology's wiring hands the composition root: health checks and an ordered close. */
export interface Wired<T> {
  readonly adapters: T;
  readonly healthChecks: HealthCheck[];
  /** Runs at start-up, before anything is served (migrations, stream setup). */
  readonly start?: () => Promise<void>;
  /** Releases connections; called in reverse order of wiring. */
  readonly close?: () => Promise<void>;
}

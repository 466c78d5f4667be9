import type { MetricsProbe } from '../../../application/ports/metrics.js';

export interface ProbeFailures {
  /** The probe threw, rejected or did not answer within the timeout; `first`: it had been answering. */
  failed(probe: string, reason: string, first: boolean): void;
  /** The first success after a failure. */
  recovered(probe: string): void;
}

/**
 * Runs one probe for a scrape. Several gauges fed by one probe (the outbox's depth, age and parked
 * count) each ask for a sample while the registry collects them in parallel: they share one call.
 * A probe that fails or hangs yields `undefined`, so its series are left out of that scrape instead
 * of failing it (a Postgres outage must not blind the operator to the rest) or holding it up.
 */
export class ProbeSampler<T> {
  #pending: Promise<T | undefined> | undefined;
  #failing = false;

  constructor(
    readonly name: string,
    private readonly probe: MetricsProbe<T>,
    /** Throws when a value is unusable (not a count): that scrape then counts as a failed probe. */
    private readonly validate: (value: T) => void,
    private readonly timeoutMs: number,
    private readonly failures: ProbeFailures,
  ) {}

  sample(): Promise<T | undefined> {
    if (!this.#pending) {
      this.#pending = this.run();
      // Cleared once every gauge of this scrape has its value; the next scrape samples again.
      void this.#pending.finally(() => (this.#pending = undefined));
    }
    return this.#pending;
  }

  private async run(): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      timer.unref();
    });
    try {
      const value = await Promise.race([Promise.resolve().then(this.probe), timeout]);
      this.validate(value);
      if (this.#failing) {
        this.#failing = false;
        this.failures.recovered(this.name);
      }
      return value;
    } catch (error) {
      const first = !this.#failing;
      this.#failing = true;
      this.failures.failed(this.name, error instanceof Error ? error.message : String(error), first);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}

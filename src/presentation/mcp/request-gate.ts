import { RPC, rpcError } from './error-mapping.js';

/**
 * Counts a session's requests in flight so that shutdown can stop admitting new ones and wait,
 * bounded, for the rest to be answered before the transport closes.
 */
export class RequestGate {
  private inFlight = 0;
  private draining = false;
  private waiters: { below: number; resolve: () => void }[] = [];

  enter(method: string): void {
    if (this.draining) {
      throw rpcError(RPC.InvalidRequest, `the session is shutting down; '${method}' was not started`);
    }
    this.inFlight += 1;
  }

  leave(): void {
    this.inFlight -= 1;
    if (this.waiters.length === 0) return;
    this.waiters = this.waiters.filter((waiter) => {
      if (this.inFlight > waiter.below) return true;
      waiter.resolve();
      return false;
    });
  }

  /** Refuses new requests from now on; resolves true once at most `remaining` are in flight. */
  async drain(timeoutMs: number, remaining = 0): Promise<boolean> {
    this.draining = true;
    if (this.inFlight <= remaining) return true;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => this.waiters.push({ below: remaining, resolve: () => resolve(true) }));
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const drained = await Promise.race([idle, late]);
    clearTimeout(timer);
    return drained;
  }

  get pending(): number {
    return this.inFlight;
  }
}

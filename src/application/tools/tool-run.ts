import type { Principal } from '../../domain/auth/principal.js';
import type { Origin } from '../origin.js';
import { afterAnswer, isCancelled, type ToolContext } from './tool-definition.js';

/** How often running tools are checked against their deadline and their request's cancellation. */
const SWEEP_MS = 100;

const running = new Set<ToolRun>();
let sweeper: NodeJS.Timeout | undefined;

function watch(run: ToolRun): void {
  running.add(run);
  if (!sweeper) {
    sweeper = setInterval(() => {
      const now = Date.now();
      for (const r of running) r.check(now);
      if (running.size === 0) {
        clearInterval(sweeper);
        sweeper = undefined;
      }
    }, SWEEP_MS);
    sweeper.unref();
  }
}

/**
 * One tool run's own abort signal: aborted when the client cancels the request and when the time
 * limit passes, so a tool that honours its signal (a running command, a search) really stops and a
 * "timed out" answer is never followed by side effects. A tool that ignores the signal still cannot
 * hold the request past the limit: `race` settles first.
 *
 * Kept cheap because every call pays for it: the signal (an AbortController and a listener on the
 * request's) is created only when the tool reads it, and deadlines are checked by one shared sweep
 * every SWEEP_MS instead of a timer per call — so a limit is honoured to within that interval.
 */
export class ToolRun {
  readonly context: ToolContext;
  timedOut = false;
  private controller?: AbortController;
  private rejectEarly?: (error: Error) => void;
  private reason?: Error;
  private readonly deadline: number;
  /** The listener on the request's signal; exists only once this run's own signal does. */
  private onRequestAbort?: () => void;

  /** `origin` and `caller`: who the call runs for, handed to the tool on its context. */
  constructor(
    private readonly request: ToolContext,
    limitMs: number,
    origin?: Origin,
    caller?: Principal,
  ) {
    this.deadline = Date.now() + limitMs;
    this.context = new RunContext(this, request, origin, caller);
    watch(this);
  }

  race<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.rejectEarly = reject;
      if (this.reason) reject(this.reason);
      work.then(resolve, reject);
    });
  }

  /** Called by the sweep. */
  check(now: number): void {
    if (this.reason) return;
    if (now >= this.deadline) {
      this.timedOut = true;
      this.abort(new Error('timed out'));
    } else if (isCancelled(this.request)) {
      this.abort(cancelledByClient());
    }
  }

  dispose(): void {
    running.delete(this);
    if (this.onRequestAbort) this.request.signal.removeEventListener('abort', this.onRequestAbort);
  }

  /** The run's own signal, created on first use (through `context.signal`). */
  signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
      else if (isCancelled(this.request)) this.abort(cancelledByClient());
      else {
        this.onRequestAbort = () => this.abort(cancelledByClient());
        this.request.signal.addEventListener('abort', this.onRequestAbort, { once: true });
      }
    }
    return this.controller.signal;
  }

  get cancelled(): boolean {
    return this.reason !== undefined || isCancelled(this.request);
  }

  private abort(reason: Error): void {
    if (this.reason) return;
    this.reason = reason;
    this.controller?.abort(reason);
    this.rejectEarly?.(reason);
  }
}

function cancelledByClient(): Error {
  return new Error('cancelled by the client');
}

/**
 * The context a tool sees: the request's, with `signal` and `cancelled` answered by its run. A
 * class with prototype getters, because one is made per call. `progress` and `log` are the
 * request's own functions (a tool may pass them on detached).
 */
class RunContext implements ToolContext {
  readonly sessionId: string;
  readonly progress: ToolContext['progress'];
  readonly log: ToolContext['log'];
  readonly origin: Origin | undefined;
  readonly caller: Principal | undefined;

  constructor(
    private readonly run: ToolRun,
    private readonly request: ToolContext,
    origin: Origin | undefined,
    caller: Principal | undefined,
  ) {
    this.sessionId = request.sessionId;
    this.origin = origin ?? request.origin;
    this.caller = caller ?? request.caller;
    this.progress = request.progress;
    this.log = request.log;
  }

  get signal(): AbortSignal {
    return this.run.signal();
  }

  get cancelled(): boolean {
    return this.run.cancelled;
  }

  get client(): ToolContext['client'] {
    return this.request.client;
  }

  releaseStream(): void {
    this.request.releaseStream?.();
  }

  afterAnswer(task: () => void): void {
    afterAnswer(this.request, task);
  }
}

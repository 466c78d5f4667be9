import type { ToolContext } from './tool-definition.js';

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
  private readonly onRequestAbort = () => this.abort(new Error('cancelled by the client'));

  constructor(
    private readonly request: ToolContext,
    limitMs: number,
  ) {
    this.deadline = Date.now() + limitMs;
    const run = this;
    // Every ToolContext member, with `signal` made lazy (a getter, so no AbortController for tools
    // that never look at it).
    this.context = {
      sessionId: request.sessionId,
      progress: request.progress,
      log: request.log,
      ...(request.client !== undefined ? { client: request.client } : {}),
      ...(request.releaseStream !== undefined ? { releaseStream: request.releaseStream } : {}),
      get signal(): AbortSignal {
        return run.signal();
      },
    };
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
    } else if (this.request.signal.aborted) {
      this.onRequestAbort();
    }
  }

  dispose(): void {
    running.delete(this);
    if (this.controller) this.request.signal.removeEventListener('abort', this.onRequestAbort);
  }

  private signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
      else if (this.request.signal.aborted) this.onRequestAbort();
      else this.request.signal.addEventListener('abort', this.onRequestAbort, { once: true });
    }
    return this.controller.signal;
  }

  private abort(reason: Error): void {
    if (this.reason) return;
    this.reason = reason;
    this.controller?.abort(reason);
    this.rejectEarly?.(reason);
  }
}

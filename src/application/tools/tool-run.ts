import type { ToolContext } from './tool-definition.js';

/**
 * One tool run's own abort signal: aborted when the client cancels the request and when the time
 * limit passes, so a tool that honours its signal (a running command, a search) really stops and a
 * "timed out" answer is never followed by side effects. A tool that ignores the signal still cannot
 * hold the request past the limit: `race` settles first.
 */
export class ToolRun {
  readonly context: ToolContext;
  timedOut = false;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private rejectEarly: (error: Error) => void = () => {};
  private readonly onRequestAbort = () => this.abort(new Error('cancelled by the client'));

  constructor(
    private readonly request: ToolContext,
    limitMs: number,
  ) {
    this.context = { ...request, signal: this.controller.signal };
    request.signal.addEventListener('abort', this.onRequestAbort, { once: true });
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.abort(new Error('timed out'));
    }, limitMs);
  }

  race<T>(work: Promise<T>): Promise<T> {
    const early = new Promise<never>((_, reject) => {
      this.rejectEarly = reject;
    });
    return Promise.race([work, early]);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.request.signal.removeEventListener('abort', this.onRequestAbort);
  }

  private abort(reason: Error): void {
    if (this.controller.signal.aborted) return;
    this.controller.abort(reason);
    this.rejectEarly(reason);
  }
}

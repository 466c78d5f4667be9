import type { Middleware } from '@anthropic-ai/sdk';

/**
 * The SDK's `timeout` stops at the response headers: a stream that starts and then goes silent
 * would hang until the caller gives up. This watch re-arms on every chunk of an answer's body
 * (pings included, which the SDK's event iterator hides) and calls `onIdle` when none came for
 * `ms`. It is an SDK middleware, so it sees each attempt's response and nothing of the retries.
 */
export class IdleWatch {
  private timer: NodeJS.Timeout | undefined;
  private idle = false;

  constructor(
    private readonly ms: number,
    private readonly onIdle: () => void,
  ) {}

  /** Whether the watch cut a silent stream. */
  get fired(): boolean {
    return this.idle;
  }

  readonly middleware: Middleware = async (request, next) => {
    const response = await next(request);
    if (!response.ok || response.body === null) return response;
    this.arm();
    const body = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform: (chunk, controller) => {
          this.arm();
          controller.enqueue(chunk);
        },
        flush: () => this.stop(),
      }),
    );
    return new Response(body, response);
  };

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.idle = true;
      this.onIdle();
    }, this.ms);
  }
}

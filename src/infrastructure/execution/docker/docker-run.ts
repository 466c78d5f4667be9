import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { ExecutionRequest, ExecutionResult } from '../../../application/ports/executor.js';
import type { Logger } from '../../../application/ports/logger.js';
import { CappedOutput } from '../capped-output.js';
import { containerSpec, effectiveLimits, hasStdin, STDIN_PATH, type ContainerDefaults } from './container-spec.js';
import { engineFailure } from './docker-errors.js';
import { singleFileTar } from './stdin-archive.js';

export interface DockerRunOptions {
  /** Bytes dropped past the caps after which the run is stopped (see `output`). */
  readonly overflowKillBytes: number;
  /** How long, after the container exited, the attach stream may take to deliver its last bytes. */
  readonly streamGraceMs: number;
}

type StopReason = 'timeout' | 'cancel' | 'output';

/**
 * One execution in its own container, from create to remove. The deadline counts from the call, so
 * a slow engine cannot stretch it; a stop before start skips the start, a stop after it kills the
 * container (SIGKILL: the container is thrown away, there is nothing to let finish). The container
 * is removed before the answer, whatever happened, so no run outlives its call.
 */
export class DockerRun {
  readonly result: Promise<ExecutionResult>;
  private readonly started = performance.now();
  private readonly id = randomUUID();
  private readonly stdout: CappedOutput;
  private readonly stderr: CappedOutput;
  private readonly deadline: NodeJS.Timeout;
  private container: Docker.Container | undefined;
  private running = false;
  private stopped: StopReason | undefined;
  private received = 0;

  constructor(
    private readonly docker: Docker,
    private readonly request: ExecutionRequest,
    private readonly defaults: ContainerDefaults,
    private readonly options: DockerRunOptions,
    private readonly logger: Logger,
  ) {
    this.stdout = new CappedOutput(request.maxOutputBytes);
    this.stderr = new CappedOutput(request.maxOutputBytes);
    this.deadline = setTimeout(() => this.stop('timeout'), request.timeoutMs);
    // An already-aborted signal never fires 'abort': the run is stopped before anything is created.
    if (request.signal?.aborted) this.stopped = 'cancel';
    else request.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.result = this.run().finally(() => {
      clearTimeout(this.deadline);
      request.signal?.removeEventListener('abort', this.onAbort);
    });
  }

  /** Timeout, cancellation, shutdown or runaway output: kill the container if it runs; otherwise it never starts. */
  stop(reason: StopReason): void {
    if (this.stopped) return;
    this.stopped = reason;
    if (this.running) this.kill();
  }

  private readonly onAbort = (): void => this.stop('cancel');

  private async run(): Promise<ExecutionResult> {
    if (this.stopped) return this.answer(null);
    const spec = containerSpec(this.request, this.defaults, this.id);
    try {
      this.container = await this.docker.createContainer(spec);
    } catch (error) {
      throw engineFailure(error, this.request.command, this.defaults.image);
    }
    try {
      return await this.attachAndRun(this.container);
    } finally {
      await this.remove(this.container);
    }
  }

  private async attachAndRun(container: Docker.Container): Promise<ExecutionResult> {
    let stream: Readable;
    try {
      if (hasStdin(this.request)) await container.putArchive(singleFileTar(STDIN_PATH.slice(1), this.request.stdin ?? ''), { path: '/' });
      if (this.stopped) return this.answer(null);
      // podman creates the container's process at attach, so a missing program fails here.
      stream = await container.attach({ stream: true, stdout: true, stderr: true });
    } catch (error) {
      throw engineFailure(error, this.request.command, this.defaults.image);
    }
    const ended = new Promise<void>((resolve) => {
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', () => resolve());
    });
    container.modem.demuxStream(stream, { write: (chunk: Buffer) => this.output(this.stdout, 'stdout', chunk) }, { write: (chunk: Buffer) => this.output(this.stderr, 'stderr', chunk) });
    try {
      if (this.stopped) return this.answer(null);
      await container.start();
      this.running = true;
      if (this.stopped) this.kill();
      const { StatusCode } = await container.wait();
      this.running = false;
      await settleWithin(ended, this.options.streamGraceMs);
      return this.answer(StatusCode);
    } catch (error) {
      throw engineFailure(error, this.request.command, this.defaults.image);
    } finally {
      stream.destroy();
    }
  }

  private output(into: CappedOutput, stream: 'stdout' | 'stderr', chunk: Buffer): void {
    into.push(chunk);
    this.received += chunk.length;
    // podman's attach stream moves about 20 MB/s: draining a gigabyte nobody will see would hold the
    // engine for most of a minute, so past the caps plus an allowance the run is stopped instead.
    if (this.received > 2 * this.request.maxOutputBytes + this.options.overflowKillBytes) this.stop('output');
    if (!this.request.onOutput) return;
    try {
      this.request.onOutput(stream, chunk.length);
    } catch {
      // Progress is best effort: a failing listener must not lose the result.
    }
  }

  private answer(status: number | null): ExecutionResult {
    // runc reports a death by signal as 128+n. OOMKilled stays false on podman 4.3, so a SIGKILL we did
    // not send, under a memory limit, is taken as the memory limit's.
    // status null: stopped before the container started, so nothing ran and nothing was killed.
    const killedByUs = this.stopped !== undefined && status === 137;
    const memoryKill = !killedByUs && status === 137 && effectiveLimits(this.defaults, this.request.limits).memory !== undefined;
    const note = memoryKill ? 'killed: memory limit' : this.stopped === 'output' && killedByUs ? 'killed: output limit' : undefined;
    const stderr = this.stderr.text();
    return {
      exitCode: killedByUs || memoryKill ? null : status,
      signal: killedByUs || memoryKill ? 'SIGKILL' : null,
      stdout: this.stdout.text(),
      stderr: note ? `${stderr}${stderr && !stderr.endsWith('\n') ? '\n' : ''}${note}\n` : stderr,
      stdoutTruncated: this.stdout.truncated,
      stderrTruncated: this.stderr.truncated,
      timedOut: this.stopped === 'timeout',
      cancelled: this.stopped === 'cancel',
      durationMs: Math.round(performance.now() - this.started),
    };
  }

  private kill(): void {
    this.container?.kill({ signal: 'SIGKILL' }).catch(() => {
      // Already exited (409): wait() answers with its status, and remove() follows.
    });
  }

  private async remove(container: Docker.Container): Promise<void> {
    try {
      await container.remove({ force: true, v: true });
    } catch (error) {
      this.logger.warn('docker execution: container not removed', { container: container.id, error: (error as Error).message });
    }
  }
}

async function settleWithin(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

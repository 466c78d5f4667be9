/** A request to run one program. argv form: `command` is the program, never a shell line (unless `shell`). */
export interface ExecutionRequest {
  readonly command: string;
  readonly args: readonly string[];
  /** Absolute, already confined to the workspace roots by the caller. */
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly stdin?: string;
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
  /** Run `command` through /bin/sh -c; only when the security policy allows shells. */
  readonly shell?: boolean;
  readonly signal?: AbortSignal;
  /** Called as output arrives, for progress notifications. */
  readonly onOutput?: (stream: 'stdout' | 'stderr', bytes: number) => void;
}

export interface ExecutionResult {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutTruncated: boolean;
  readonly stderrTruncated: boolean;
  readonly timedOut: boolean;
  readonly cancelled: boolean;
  readonly durationMs: number;
}

/** How far a run is kept from the server; the executor health check reports it. */
export interface ExecutionIsolation {
  /** The program cannot see the server's processes or environment, and nothing it starts outlives the run. */
  readonly contained: boolean;
  readonly description: string;
}

/** Port: where commands run (native now; docker, ssh and host-agent backends later). */
export interface Executor {
  readonly backend: string;
  readonly isolation: ExecutionIsolation;
  execute(request: ExecutionRequest): Promise<ExecutionResult>;
  /** Kills everything still running (process groups included). */
  shutdown(): Promise<void>;
}

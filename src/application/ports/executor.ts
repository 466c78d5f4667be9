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
  /**
   * The workspace roots the run may see (already resolved): a backend that mounts or maps files
   * (docker) exposes exactly these, read-only unless `writableRoots` is set.
   */
  readonly roots?: readonly string[];
  readonly writableRoots?: boolean;
  /** Resource limits the policy sets for this run; a backend enforces what it can and reports the rest in `health()`. */
  readonly limits?: ExecutionLimits;
}

/** Per-run resource limits (execution.security.max_*). Absent fields: the backend's own defaults. */
export interface ExecutionLimits {
  readonly maxMemoryBytes?: number;
  /** CPUs (fractions allowed), e.g. 0.5. */
  readonly maxCpus?: number;
  readonly maxProcesses?: number;
}

/** What `get_system_status` and `/ready` show of a backend. */
export interface ExecutorHealth {
  readonly backend: string;
  readonly status: 'up' | 'degraded' | 'down';
  /** What is (and is not) enforced here, e.g. "rlimits unavailable: no CAP_SYS_RESOURCE", ssh hosts up. */
  readonly details: Readonly<Record<string, unknown>>;
}

/**
 * Where a backend would find a program, looked up without running it (check_command_exists).
 * `unknown`: this backend cannot tell cheaply; `reason` says why, for the caller to repeat.
 */
export type ProgramLookup =
  | { readonly status: 'found'; readonly path: string }
  | { readonly status: 'missing' | 'not_executable' }
  | { readonly status: 'unknown'; readonly reason: string };

/** What a lookup needs to resolve the name as a run would: the child's environment (its PATH) and working directory. */
export interface LookupContext {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
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

/**
 * Port: where commands run — `native` (child processes here), `docker` (a container per run),
 * `ssh` (a pool of hosts), `host_agent` (a separately privileged service). Every backend takes argv
 * (never a shell line unless `shell`), honours `signal` and `timeoutMs` by killing the whole run,
 * and caps output while it streams. Policy is decided before a request reaches a backend.
 */
export interface Executor {
  readonly backend: string;
  readonly isolation: ExecutionIsolation;
  execute(request: ExecutionRequest): Promise<ExecutionResult>;
  /** Reachability and what this backend can enforce here (cheap; bounded by the caller's deadline). */
  health?(signal?: AbortSignal): Promise<ExecutorHealth>;
  /** Resolves `command` the way `execute` would (same PATH rules), never running it. */
  which?(command: string, where: LookupContext): Promise<ProgramLookup>;
  /** Kills everything still running (process groups included). */
  shutdown(): Promise<void>;
}

/**
 * Errors of the docker execution backend. Messages name the engine as the configured address and the
 * image by name only; the engine's own text is kept as `cause` for the log, never in the message.
 * `retryable`: nothing ran, and the same request may succeed once the engine is back.
 */
export type DockerErrorCode =
  /** The engine's socket or port did not answer (refused, missing socket, connection lost). */
  | 'docker.unavailable'
  /** The configured image is not in the engine's store; the backend never pulls. */
  | 'docker.image_missing'
  /** The engine refused or failed a call for another reason (bad mount source, runtime error…). */
  | 'docker.engine_error'
  /** `execution.docker.host` is not a unix://, tcp:// or http:// address. */
  | 'docker.invalid_config'
  /** The executor was shut down. */
  | 'docker.stopped';

export class DockerExecutorError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly code: DockerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DockerExecutorError';
    this.retryable = code === 'docker.unavailable';
  }
}

interface EngineFailure {
  readonly statusCode?: number;
  readonly code?: string;
  readonly message?: string;
}

/**
 * What an engine call's failure means for the run. The runtime's "executable file not found" and
 * "permission denied" become errno-style ENOENT/EACCES errors, so `execute_command` words them as it
 * does on native ("command not found"); everything else is a DockerExecutorError.
 */
export function engineFailure(error: unknown, command: string, image: string): Error {
  const failure = (error ?? {}) as EngineFailure;
  const text = failure.message ?? '';
  if (failure.statusCode === undefined && failure.code !== undefined) {
    return new DockerExecutorError('docker.unavailable', `the container engine did not answer (${failure.code})`, { cause: error });
  }
  if (/exec: "[^"]*": (executable file not found|stat [^:]*: no such file or directory)/.test(text)) {
    return errno('ENOENT', `${command}: not found in image ${image}`, error);
  }
  if (/exec: "[^"]*": permission denied/.test(text)) {
    return errno('EACCES', `${command}: not executable in image ${image}`, error);
  }
  if (failure.statusCode === 404 && /image/i.test(text)) {
    return new DockerExecutorError('docker.image_missing', `image ${image} is not in the engine's store (it is never pulled)`, { cause: error });
  }
  return new DockerExecutorError('docker.engine_error', `the container engine refused the run (HTTP ${failure.statusCode ?? '?'})`, { cause: error });
}

function errno(code: 'ENOENT' | 'EACCES', message: string, cause: unknown): Error {
  return Object.assign(new Error(message, { cause }), { code });
}

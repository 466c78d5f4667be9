import type Docker from 'dockerode';
import type { ExecutionLimits, ExecutionRequest } from '../../../application/ports/executor.js';

/** Where a run's stdin is put (putArchive) before it starts, and the label every run's container carries. */
export const STDIN_PATH = '/.tfo-stdin';
export const RUN_LABEL = 'tfo-mcp.execution';

/** What the operator configured (execution.docker.*); a request's `limits` may only lower these. */
export interface ContainerDefaults {
  readonly image: string;
  readonly network: string;
  readonly user: string;
  readonly memory?: number;
  readonly cpus?: number;
  readonly pidsLimit?: number;
}

/**
 * The container for one run: the configured image, no capabilities, no privilege gain, a read-only
 * root with a private /tmp, the workspace roots at their own paths (read-only unless the policy made
 * them writable), and nothing of the server's environment.
 *
 * Ulimits are explicit and equal (soft = hard) because podman 4.3's compatibility API swaps the two
 * for its defaults, and passing any Ulimits replaces all of them, so nofile and nproc go together.
 * nproc counts per uid on the host, so it is generous; PidsLimit is the per-container bound.
 */
export function containerSpec(request: ExecutionRequest, defaults: ContainerDefaults, runId: string): Docker.ContainerCreateOptions {
  const limits = effectiveLimits(defaults, request.limits);
  return {
    name: `tfo-mcp-${runId}`,
    Image: defaults.image,
    Cmd: commandLine(request),
    User: defaults.user,
    Env: Object.entries(request.env ?? {}).map(([key, value]) => `${key}=${value}`),
    WorkingDir: request.cwd,
    Labels: { [RUN_LABEL]: runId },
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: false,
    Tty: false,
    HostConfig: {
      NetworkMode: defaults.network,
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': 'rw,nosuid,nodev,size=64m,mode=1777' },
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      Init: false,
      Mounts: (request.roots ?? []).map((root) => ({ Type: 'bind', Source: root, Target: root, ReadOnly: request.writableRoots !== true })),
      Ulimits: [
        { Name: 'nofile', Soft: 1024, Hard: 1024 },
        { Name: 'nproc', Soft: 8192, Hard: 8192 },
      ],
      ...(limits.memory !== undefined ? { Memory: limits.memory, MemorySwap: limits.memory } : {}),
      ...(limits.cpus !== undefined ? { NanoCpus: Math.round(limits.cpus * 1e9) } : {}),
      ...(limits.pids !== undefined ? { PidsLimit: limits.pids } : {}),
      // The attach stream carries the output; an engine-side log copy of a gigabyte is only cost.
      LogConfig: { Type: 'none', Config: {} },
    },
  };
}

/** The tighter of the operator's setting and the request's limit, for each resource. */
export function effectiveLimits(defaults: ContainerDefaults, limits: ExecutionLimits | undefined): { memory?: number; cpus?: number; pids?: number } {
  return {
    memory: lower(defaults.memory, limits?.maxMemoryBytes),
    cpus: lower(defaults.cpus, limits?.maxCpus),
    pids: lower(defaults.pidsLimit, limits?.maxProcesses),
  };
}

/**
 * argv as the engine's Cmd (no shell). A shell only when the policy allowed `shell`, as on native.
 * With stdin, a fixed script redirects it and execs the argv given as its positional parameters:
 * the argv is never parsed by the shell, so this adds no shell semantics to the request. (The
 * hijacked attach would be the shell-free way, but podman 4.3 feeds the attach request's own body
 * into the container's stdin.) An image without /bin/sh therefore cannot take stdin.
 */
function commandLine(request: ExecutionRequest): string[] {
  const argv = request.shell ? ['/bin/sh', '-c', request.command, 'sh', ...request.args] : [request.command, ...request.args];
  return hasStdin(request) ? ['/bin/sh', '-c', `exec "$@" < ${STDIN_PATH}`, 'sh', ...argv] : argv;
}

export function hasStdin(request: ExecutionRequest): boolean {
  return request.stdin !== undefined && request.stdin.length > 0;
}

function lower(configured: number | undefined, requested: number | undefined): number | undefined {
  if (configured === undefined) return requested;
  if (requested === undefined) return configured;
  return Math.min(configured, requested);
}

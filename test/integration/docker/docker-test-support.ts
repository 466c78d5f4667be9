import { chmod, mkdtemp, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { ExecutionRequest } from '../../../src/application/ports/executor.js';
import { RUN_LABEL } from '../../../src/infrastructure/execution/docker/container-spec.js';
import { DockerExecutor, engineAddress, type DockerExecutorOptions } from '../../../src/infrastructure/execution/docker/docker-executor.js';
import { RecordingLogger } from '../../support/builders.js';

/** The podman service of scripts/services.sh; these suites fail loudly (never skip) without it. */
export function dockerEnv(): { host: string; image: string } {
  const host = process.env.TFO_DOCKER_HOST;
  const image = process.env.TFO_DOCKER_TEST_IMAGE;
  if (!host || !image) {
    throw new Error('TFO_DOCKER_HOST and TFO_DOCKER_TEST_IMAGE must be set: run `eval "$(bash scripts/services.sh up)"` (npm test does)');
  }
  return { host, image };
}

export function dockerExecutor(options: Partial<DockerExecutorOptions> = {}): { executor: DockerExecutor; logger: RecordingLogger } {
  const logger = new RecordingLogger();
  const env = dockerEnv();
  return { executor: new DockerExecutor({ host: env.host, image: env.image, memory: 256 * 1024 * 1024, cpus: 1, pidsLimit: 64, ...options }, logger), logger };
}

export function runRequest(command: string, args: readonly string[] = [], extra: Partial<ExecutionRequest> = {}): ExecutionRequest {
  return { command, args, cwd: '/', env: {}, timeoutMs: 10_000, maxOutputBytes: 1024 * 1024, ...extra };
}

/** Containers the docker backend created (by its label) that still exist, running or not. */
export async function leftoverContainers(): Promise<readonly string[]> {
  const docker = new Docker(engineAddress(dockerEnv().host));
  const containers = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [RUN_LABEL] }) });
  return containers.map((container) => container.Id);
}

/** A workspace root the container's non-root user can read (mkdtemp makes 0700 directories). */
export async function readableRoot(prefix: string): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), prefix)));
  await chmod(dir, 0o755);
  return dir;
}

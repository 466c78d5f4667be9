/**
 * The part of dockerode 5 (untyped JavaScript) that the docker backend uses, typed by hand so the
 * backend does not pull in @types/dockerode for six calls. Widen it only when the backend calls more.
 */
declare module 'dockerode' {
  import type { Readable } from 'node:stream';

  interface DockerOptions {
    readonly socketPath?: string;
    readonly host?: string;
    readonly port?: number;
    readonly protocol?: 'http' | 'https';
  }

  interface HttpError extends Error {
    readonly statusCode?: number;
    readonly json?: unknown;
  }

  interface ContainerCreateOptions {
    readonly name?: string;
    readonly Image: string;
    readonly Cmd: readonly string[];
    readonly Entrypoint?: readonly string[];
    readonly User?: string;
    readonly Env?: readonly string[];
    readonly WorkingDir?: string;
    readonly Labels?: Readonly<Record<string, string>>;
    readonly AttachStdin?: boolean;
    readonly AttachStdout?: boolean;
    readonly AttachStderr?: boolean;
    readonly OpenStdin?: boolean;
    readonly Tty?: boolean;
    readonly NetworkDisabled?: boolean;
    readonly HostConfig?: Readonly<Record<string, unknown>>;
  }

  interface Container {
    readonly id: string;
    readonly modem: { demuxStream(stream: Readable, stdout: { write(chunk: Buffer): unknown }, stderr: { write(chunk: Buffer): unknown }): void };
    attach(options: { stream: true; stdout: boolean; stderr: boolean; stdin?: boolean }): Promise<Readable>;
    putArchive(archive: Buffer, options: { path: string }): Promise<unknown>;
    start(): Promise<unknown>;
    wait(): Promise<{ StatusCode: number }>;
    inspect(): Promise<{ State?: { OOMKilled?: boolean } }>;
    kill(options?: { signal?: string }): Promise<unknown>;
    remove(options?: { force?: boolean; v?: boolean }): Promise<unknown>;
  }

  class Docker {
    constructor(options?: DockerOptions);
    readonly modem: unknown;
    ping(options?: { abortSignal?: AbortSignal }): Promise<unknown>;
    version(options?: { abortSignal?: AbortSignal }): Promise<{ Version?: string; ApiVersion?: string; Components?: readonly { Name?: string; Version?: string }[] }>;
    getImage(name: string): { inspect(): Promise<{ Id?: string }> };
    getContainer(id: string): Container;
    createContainer(options: ContainerCreateOptions): Promise<Container>;
    listContainers(options?: { all?: boolean; filters?: string }): Promise<readonly { Id: string; Labels?: Record<string, string> }[]>;
  }

  namespace Docker {
    export type { Container, ContainerCreateOptions, DockerOptions, HttpError };
  }

  export = Docker;
}

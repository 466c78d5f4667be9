import type { ChildProcess } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { ClientCapabilities, JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { within, type ExitInfo } from './raw-server.js';
import { builtServerPath } from './server-path.js';
import { createTempDir } from './temp-workspace.js';

export { builtServerPath, serverEnv } from './server-path.js';
export { RawServer, delay, stdoutProblems, within, type ExitInfo, type JsonRpcId, type JsonRpcMessage } from './raw-server.js';
export { createTempDir, createTempWorkspace, type TempWorkspace } from './temp-workspace.js';

export interface StartClientOptions {
  /** Working directory of the server; default: a fresh empty temp dir, removed by close(). */
  readonly cwd?: string;
  readonly clientName?: string;
  readonly capabilities?: ClientCapabilities;
}

export interface ClientHandle {
  readonly client: Client;
  readonly transport: StdioClientTransport;
  readonly pid: number;
  /** Every complete stdout line, tapped from the child before the SDK parses it. */
  readonly stdoutLines: string[];
  /** Every message the client wrote to the server's stdin, in order. */
  readonly sent: JSONRPCMessage[];
  /** Bytes after the last "\n" on stdout. */
  unterminated(): string;
  stderr(): string;
  /** Errors the SDK client reported (including stdout lines it could not parse). */
  readonly clientErrors: Error[];
  readonly exited: Promise<ExitInfo>;
  exitInfo(): ExitInfo | undefined;
  /** Closes the client (EOF, then signals, as the SDK does), waits for the exit, removes the temp cwd. */
  close(): Promise<void>;
}

/**
 * Spawns the built server exactly as Claude Desktop does: StdioClientTransport running
 * `node dist/main.js` with an explicit env and stderr piped, then connects an SDK Client.
 */
export async function startClient(env: Record<string, string>, options: StartClientOptions = {}): Promise<ClientHandle> {
  const ownCwd = options.cwd === undefined ? await createTempDir() : undefined;
  const cwd = options.cwd ?? ownCwd!.dir;
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [builtServerPath()],
    env,
    stderr: 'pipe',
    cwd,
  });

  let stderr = '';
  transport.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });

  const stdoutLines: string[] = [];
  let partial = '';
  let child: ChildProcess | undefined;
  let exitInfo: ExitInfo | undefined;
  let resolveExit: (info: ExitInfo) => void = () => undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    resolveExit = resolve;
  });

  // Tap stdout right after the spawn, before any byte can arrive, without replacing the SDK's reader.
  const start = transport.start.bind(transport);
  transport.start = async () => {
    await start();
    child = (transport as unknown as { _process?: ChildProcess })._process;
    if (!child?.stdout) throw new Error('StdioClientTransport did not expose its child process');
    child.stdout.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      stdoutLines.push(...parts);
    });
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolveExit(exitInfo);
    });
  };

  const sent: JSONRPCMessage[] = [];
  const send = transport.send.bind(transport);
  transport.send = (message) => {
    sent.push(message);
    return send(message);
  };

  const client = new Client(
    { name: options.clientName ?? 'tfo-mcp-e2e', version: '1.0.0' },
    { capabilities: options.capabilities ?? {} },
  );
  const clientErrors: Error[] = [];
  client.onerror = (error) => clientErrors.push(error);

  try {
    await client.connect(transport);
  } catch (error) {
    await transport.close().catch(() => undefined);
    await ownCwd?.cleanup();
    throw new Error(`could not connect to the server: ${(error as Error).message}\nstderr:\n${stderr.slice(-4000)}`);
  }

  return {
    client,
    transport,
    pid: child!.pid!,
    stdoutLines,
    sent,
    unterminated: () => partial,
    stderr: () => stderr,
    clientErrors,
    exited,
    exitInfo: () => exitInfo,
    close: async () => {
      await client.close().catch(() => undefined);
      if (exitInfo === undefined && child && child.exitCode === null && child.signalCode === null) {
        await within(exited, 5000);
      }
      if (exitInfo === undefined && child?.exitCode === null) child.kill('SIGKILL');
      await ownCwd?.cleanup();
    },
  };
}

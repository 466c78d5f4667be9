#!/usr/bin/env node
import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { buildApplication, type Application } from './container.js';
import { NO_TRACING, type Tracer } from './application/ports/tracer.js';
import { ConfigError, loadConfig, type LoadOptions } from './infrastructure/config/config-loader.js';
import { ConfigReloader } from './infrastructure/config/config-reload.js';
import type { ResolvedConfig } from './infrastructure/config/config.schema.js';
import { redactConfig } from './infrastructure/config/redact.js';
import { createWinston, WinstonLogger } from './infrastructure/logging/winston-logger.js';
import type { Logger } from './application/ports/logger.js';
import { parseCli, stdioTerminalHint, USAGE, UsageError, type CliCommand } from './presentation/cli/cli-arguments.js';
import { StdioConnection } from './presentation/mcp/stdio-connection.js';
import { migratePostgres } from './composition/persistence.wiring.js';
import { StdioServerTransport } from './presentation/transports/stdio.js';
import { McpHttpServer } from './presentation/transports/http/mcp-http-server.js';
import { authConfigured, isLoopbackHost } from './infrastructure/config/config-loader.js';
import { Grants } from './domain/auth/grants.js';
import { localPrincipal, type Principal } from './domain/auth/principal.js';
import { httpServerOptions } from './composition/http-options.js';
import { PidFile, PidFileError, signalReload, type ReloadSignal } from './infrastructure/system/pid-file.js';

/** The package's version: dist/main.js (the bundle) sits one level below package.json, dist/modules/main.js two. */
function ownVersion(): string {
  for (const relative of ['../package.json', '../../package.json']) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'tfo-mcp' && manifest.version) return manifest.version;
    } catch {
      // not this level
    }
  }
  return '0.0.0';
}

const VERSION = ownVersion();
/** This entry file: a pid file names a tfo-mcp process only if that process runs it too (see PidFile). */
const SCRIPT = fileURLToPath(import.meta.url);

function fail(message: string, code: number): never {
  process.stderr.write(`tfo-mcp: ${message}\n`);
  process.exit(code);
}

function loadOptions(command: Extract<CliCommand, { configPath?: string }>): LoadOptions {
  return { configPath: command.configPath, env: process.env, cwd: process.cwd(), home: homedir(), version: VERSION, flags: command.settings };
}

function configFor(command: Extract<CliCommand, { configPath?: string }>): ResolvedConfig {
  try {
    return loadConfig(loadOptions(command));
  } catch (error) {
    if (error instanceof ConfigError) fail(`invalid configuration: ${error.message}`, 2);
    throw error;
  }
}

/** CLI output (help, config print) goes to the stream main hands in; the server itself never writes there. */
async function serveStdio(config: ResolvedConfig, output: Writable, reload: () => ResolvedConfig): Promise<void> {
  // Our code never writes to stdout, but a dependency might (nats.js does on rare error paths).
  for (const method of ['log', 'info', 'debug', 'dir', 'table'] as const) console[method] = console.error.bind(console);
  const tracing = await startTelemetryTracing(config);
  const logger = new WinstonLogger(createWinston(config.logging), tracing.tracer);
  const reloads = new ConfigReloader(reload, config, logger);
  const app = await buildApplication(config, logger, reloads, tracing.tracer);
  await startApplication(app, config);

  let stopping = false;
  const shutdown = async (reason: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { reason });
    await connection.drain(config.mcp.timeouts.shutdown_ms);
    await connection.close(reason);
    await connection.closeTransport().catch(() => undefined);
    await app.stop(config.mcp.timeouts.shutdown_ms);
    await tracing.shutdown();
    process.exit(code);
  };

  const transport = new StdioServerTransport(process.stdin, output, {
    maxMessageBytes: config.mcp.max_message_bytes,
    onInputEnd: () => void shutdown('end of input'),
  });
  // The first message pins the era: a 2025 session, or 2026-07-28 stateless requests.
  const connection = new StdioConnection(app.mcp, transport, (reason) => void shutdown(reason), stdioPrincipal(config));
  onProcessEvents(logger, shutdown, reloads);
  await connection.start();
  if (process.stdin.isTTY) process.stderr.write(stdioTerminalHint(readmePath()));
  logger.info('tfo-mcp ready', { transport: 'stdio', version: config.server.version, ...rootsOf(config) });
}

/**
 * Who a stdio client is: the OS user that started the process (stdio has no credentials; whoever
 * can write to our stdin already runs as that user), with `auth.stdio_grants`.
 */
function stdioPrincipal(config: ResolvedConfig): Principal {
  const grants = config.auth ? Grants.parse(config.auth.stdio_grants) : Grants.everything();
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    // A uid without a passwd entry (common in containers): name it by its number.
    user = process.env['USER'] ?? `uid-${process.getuid?.() ?? 'unknown'}`;
  }
  return localPrincipal(user, grants);
}

/**
 * The roots as the ready line shows them: where they came from, and when there are none, why and
 * what to set. Clients that declare roots narrow them per session (see WorkspaceScopes).
 */
function rootsOf(config: ResolvedConfig): Record<string, unknown> {
  const { roots, roots_source: source, roots_note: note } = config.mcp;
  return source === 'none' ? { roots, rootsSource: source, rootsWarning: note } : { roots, rootsSource: source };
}

/** Signals end the server cleanly (SIGHUP reloads the config); stray errors are logged, never allowed to kill it on input. */
function onProcessEvents(logger: Logger, shutdown: (reason: string) => Promise<void>, reloads: ConfigReloader): void {
  process.on('SIGHUP', () => void reloads.reload());
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('unhandledRejection', (error) => logger.error('unhandled rejection', { error: error instanceof Error ? error.stack : String(error) }));
  process.on('uncaughtException', (error) => logger.error('uncaught exception', { error: error.stack }));
}

async function serveHttp(config: ResolvedConfig, reload: () => ResolvedConfig): Promise<void> {
  const tracing = await startTelemetryTracing(config);
  const logger = new WinstonLogger(createWinston(config.logging), tracing.tracer);
  const reloads = new ConfigReloader(reload, config, logger);
  const app = await buildApplication(config, logger, reloads, tracing.tracer);
  await startApplication(app, config);
  const http = config.server.http;
  const options = app.metricsRoute ? { ...httpServerOptions(config), metrics: app.metricsRoute } : httpServerOptions(config);
  const server = new McpHttpServer(app.mcp, app.replayStore, options, app.httpAuth());
  app.metrics.observeSessions(() => server.sessionStates());
  let stopping = false;
  const shutdown = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { reason, sessions: server.sessionCount });
    // Sessions in Postgres outlive this process: a restarted server or another replica serves them on.
    await server.close(config.mcp.timeouts.shutdown_ms, config.persistence.driver === 'memory');
    await app.stop(config.mcp.timeouts.shutdown_ms);
    // Last: the spans of the shutdown itself are exported too.
    await tracing.shutdown();
    process.exit(0);
  };
  onProcessEvents(logger, shutdown, reloads);
  // Written once SIGHUP reloads (Node's default would end the server), so `config reload` can never kill it.
  await claimPidFile(config, logger, () => app.stop(config.mcp.timeouts.shutdown_ms));
  let port: number;
  try {
    port = await server.listen();
  } catch (error) {
    const problem = listenProblem(error, http.host, http.port);
    if (problem === undefined) throw error;
    await app.stop(config.mcp.timeouts.shutdown_ms);
    fail(problem, 1);
  }
  if (!isLoopbackHost(http.host) && !authConfigured(config.auth)) logger.warn('listening on a non-loopback address without authentication', { host: http.host });
  logger.info('tfo-mcp ready', {
    transport: 'http',
    url: `http://${http.host.includes(':') ? `[${http.host}]` : http.host}:${port}/mcp`,
    version: config.server.version,
    auth: authMechanisms(config),
    rateLimits: config.rate_limits.enabled ? config.rate_limits.store : 'off',
    ...rootsOf(config),
  });
}

/** What HTTP callers authenticate with, for the ready line (details: /ready). */
function authMechanisms(config: ResolvedConfig): string[] | 'none' {
  const auth = config.auth;
  if (auth === undefined || !authConfigured(auth)) return 'none';
  return [...(auth.api_keys.length > 0 || auth.api_key_store === 'postgres' ? ['api_keys'] : []), ...(auth.oauth ? ['oauth'] : [])];
}

/** server.pid_file: refused (exit 1) while another live tfo-mcp holds it; removed on any exit of ours. */
async function claimPidFile(config: ResolvedConfig, logger: Logger, stopApp: () => Promise<void>): Promise<void> {
  const file = config.server.pid_file;
  if (file === undefined) return;
  try {
    const pidFile = PidFile.claim(file, SCRIPT, (pid) => logger.warn('replacing a stale pid file', { pidFile: file, pid: pid ?? null }));
    process.once('exit', () => pidFile.release());
    logger.info('pid file written', { pidFile: file, pid: process.pid });
  } catch (error) {
    if (!(error instanceof PidFileError)) throw error;
    await stopApp();
    fail(error.message, 1);
  }
}

/** `tfo-mcp config reload`: SIGHUP to the HTTP server named by the pid file; exit 1 when there is none to signal. */
function reloadRunningServer(command: Extract<CliCommand, { kind: 'config-reload' }>, output: Writable): void {
  const file = command.pidFile ?? configFor(command).server.pid_file;
  if (file === undefined) fail('config reload: no pid file to read; pass --pid-file PATH or set server.pid_file (the HTTP server writes it)', 2);
  let outcome: ReloadSignal;
  try {
    outcome = signalReload(file, SCRIPT);
  } catch (error) {
    fail(`config reload: ${error instanceof Error ? error.message : String(error)}`, 1);
  }
  switch (outcome.kind) {
    case 'sent':
      output.write(`sent SIGHUP to tfo-mcp process ${outcome.pid} (pid file ${file}); its log says what was reloaded\n`);
      return;
    case 'no_file':
      return fail(`config reload: ${file} does not exist; is the HTTP server running with server.pid_file set to it?`, 1);
    case 'invalid':
      return fail(`config reload: ${file} does not hold a pid (starts with ${JSON.stringify(outcome.content)})`, 1);
    case 'dead':
      return fail(`config reload: process ${outcome.pid} named by ${file} is not running (a stale pid file); nothing was signalled`, 1);
    case 'not_tfo_mcp':
      return fail(`config reload: process ${outcome.pid} named by ${file} is not tfo-mcp (a stale pid file, its pid reused); nothing was signalled`, 1);
  }
}

/** What main holds of tracing: the facade, and the flush at exit. */
interface RunningTracing {
  readonly tracer: Tracer;
  shutdown(): Promise<void>;
}

const TRACING_OFF: RunningTracing = { tracer: NO_TRACING, shutdown: async () => undefined };

/**
 * The OpenTelemetry SDK, only when telemetry.otlp is configured (a dynamic import: a server without
 * it loads none of the SDK). Patches the clients this configuration uses, before the adapters load them.
 */
async function startTelemetryTracing(config: ResolvedConfig): Promise<RunningTracing> {
  const otlp = config.telemetry.otlp;
  if (otlp === undefined) return TRACING_OFF;
  const { startTracing } = await import('./infrastructure/telemetry/tracing/start-tracing.js');
  const usesPostgres = config.persistence.driver === 'postgres';
  const usesRedis = config.cache.driver === 'redis' || (config.rate_limits.enabled && config.rate_limits.store === 'redis');
  // Export failures go to a logger of its own: the server's logger reads trace ids from this tracing.
  const exportLogger = new WinstonLogger(createWinston(config.logging));
  const tracing = await startTracing({
    otlp,
    serverVersion: config.server.version,
    clients: ['http', ...(usesPostgres ? (['pg'] as const) : []), ...(usesRedis ? (['ioredis'] as const) : [])],
    logger: exportLogger,
  });
  return { tracer: tracing.tracer, shutdown: () => tracing.shutdown().catch(() => undefined) };
}

/** A metrics port that cannot be opened (metrics.listen_failed) ends start-up as a busy MCP port does: the reason, exit 1. */
async function startApplication(app: Application, config: ResolvedConfig): Promise<void> {
  try {
    await app.start();
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'metrics.listen_failed') throw error;
    await app.stop(config.mcp.timeouts.shutdown_ms);
    fail((error as Error).message, 1);
  }
}

/** Listen failures a user fixes by choosing another port or host: say which flag and key choose it. */
function listenProblem(error: unknown, host: string, port: number): string | undefined {
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const portChoice = 'with --port N or server.http.port (TELEMETRYFLOW_MCP_SERVER__HTTP__PORT)';
  switch ((error as NodeJS.ErrnoException).code) {
    case 'EADDRINUSE':
      return `cannot listen on ${address}: the address is already in use; pick another port ${portChoice}`;
    case 'EACCES':
      return `cannot listen on ${address}: permission denied (ports below 1024 need privileges); pick a port above 1023 ${portChoice}`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${address}: no such address on this machine; pick another host with --host HOST or server.http.host (TELEMETRYFLOW_MCP_SERVER__HTTP__HOST)`;
    default:
      return undefined;
  }
}

/** Where the docs are, for a person at a terminal: the package's README when it is installed with it. */
function readmePath(): string {
  for (const relative of ['../README.md', '../../README.md']) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(path)) return path;
  }
  return 'README.md in the tfo-mcp package';
}

/** `tfo-mcp keys …`: loaded only for this command. */
async function runKeys(argv: readonly string[], output: Writable): Promise<void> {
  const [{ runKeysCommand }, { apiKeyCliTools }] = await Promise.all([
    import('./presentation/cli/keys-command.js'),
    import('./infrastructure/auth/api-keys/api-key-cli-tools.js'),
  ]);
  const keys = apiKeyCliTools({ load: (configPath) => loadConfig({ configPath, env: process.env, cwd: process.cwd(), home: homedir(), version: VERSION }) });
  process.exitCode = await runKeysCommand(argv, { stdin: process.stdin, stdout: output, stderr: process.stderr, keys });
}

async function main(argv: readonly string[], output: Writable): Promise<void> {
  // Before parseCli: the keys subcommands take their own options (--name, --grants…).
  if (argv[0] === 'keys') return runKeys(argv.slice(1), output);
  let command: CliCommand;
  try {
    command = parseCli(argv);
  } catch (error) {
    if (error instanceof UsageError) fail(`${error.message}\n\n${USAGE}`, 2);
    throw error;
  }
  switch (command.kind) {
    case 'help':
      output.write(USAGE);
      return;
    case 'version':
      output.write(`${VERSION}\n`);
      return;
    case 'config-validate':
      configFor(command);
      output.write('configuration is valid\n');
      return;
    case 'config-print':
      output.write(`${JSON.stringify(redactConfig(configFor(command)), null, 2)}\n`);
      return;
    case 'config-reload':
      reloadRunningServer(command, output);
      return;
    case 'migrate': {
      const config = configFor(command);
      const logger = new WinstonLogger(createWinston(config.logging));
      if (config.persistence.driver !== 'postgres') fail('migrate: persistence.driver is not postgres; nothing to migrate', 2);
      const report = await migratePostgres(config, logger);
      output.write(`migrations applied: ${report.applied.length > 0 ? report.applied.join(', ') : 'none'}; schema version ${report.version}\n`);
      return;
    }
    case 'events-tail': {
      const config = configFor(command);
      if (config.events.driver !== 'nats') fail('events tail: events.driver is not nats; there is no stream to tail', 2);
      const { tailEvents } = await import('./infrastructure/messaging/nats/events-tail.js');
      const stop = new AbortController();
      process.on('SIGINT', () => stop.abort());
      process.on('SIGTERM', () => stop.abort());
      await tailEvents({
        url: config.events.nats.url,
        stream: config.events.nats.stream,
        subject: command.subject,
        deliver: command.all ? 'all' : 'new',
        output: (line) => output.write(`${line}\n`),
        signal: stop.signal,
      });
      return;
    }
    case 'host-agent': {
      const { runHostAgent } = await import('./infrastructure/execution/host-agent/host-agent-main.js');
      const options = { configPath: command.configPath, listen: command.listen, secretFile: command.secretFile, env: process.env, cwd: process.cwd() };
      await runHostAgent(options).catch((error: unknown) => (error instanceof ConfigError ? fail(`invalid host agent configuration: ${error.message}`, 2) : Promise.reject(error)));
      return;
    }
    case 'serve': {
      const config = configFor(command);
      const reload = () => loadConfig(loadOptions(command));
      if (config.server.transport === 'http') await serveHttp(config, reload);
      else await serveStdio(config, output, reload);
      return;
    }
  }
}

main(process.argv.slice(2), process.stdout).catch((error: unknown) => {
  fail(`failed to start: ${error instanceof Error ? error.message : String(error)}`, 1);
});

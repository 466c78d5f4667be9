import type { Logger } from '../../../application/ports/logger.js';
import { createWinston, WinstonLogger } from '../../logging/winston-logger.js';
import { NativeExecutor } from '../native-executor.js';
import { chooseIsolation } from '../process-isolation.js';
import { HostAgentAudit } from './host-agent-audit.js';
import { loadHostAgentConfig, type HostAgentLoadOptions } from './host-agent-config.js';
import { HostAgentServer } from './host-agent-server.js';
import { readSecret, secretFileIsPrivate } from './secret-file.js';

export interface RunningHostAgent {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * `tfo-mcp host-agent`: loads the agent's own config and secret, binds, and runs until stopped.
 * Commands run through the same NativeExecutor the server uses (PID namespace where available).
 * Configuration problems throw ConfigError, which main reports with exit code 2.
 */
export async function startHostAgent(options: HostAgentLoadOptions, logger?: Logger): Promise<RunningHostAgent> {
  const config = loadHostAgentConfig(options);
  const log = logger ?? new WinstonLogger(createWinston({ level: config.log_level, format: 'json' })).child({ component: 'host-agent' });
  const secretFile = config.secret_file as string;
  const secret = readSecret(secretFile, 'host_agent.secret_file');
  if (!secretFileIsPrivate(secretFile)) log.warn('the secret file is readable by other users; chmod 600 it', { file: secretFile });
  const executor = new NativeExecutor({ isolation: chooseIsolation('auto') });
  if (!executor.isolation.contained) log.warn('runs are not in a PID namespace here; process groups and a sweep are used', { isolation: executor.isolation.description });
  const audit = new HostAgentAudit(config.audit_log);
  const server = new HostAgentServer({ config, secret, executor, audit, logger: log });
  const url = await server.listen();
  log.info('tfo-mcp host-agent ready', {
    url,
    roots: config.roots,
    allowed_commands: config.security.allowed_commands,
    allow_shell: config.security.allow_shell,
    audit_log: config.audit_log,
  });
  return {
    url,
    stop: async () => {
      await server.close();
      await executor.shutdown();
      audit.close();
      log.info('tfo-mcp host-agent stopped');
    },
  };
}

/** Runs until SIGINT or SIGTERM. */
export async function runHostAgent(options: HostAgentLoadOptions): Promise<void> {
  const agent = await startHostAgent(options);
  await new Promise<void>((resolve) => {
    const stop = () => void agent.stop().then(resolve, resolve);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

import { parseArgs } from 'node:util';

/** A flag that sets one configuration key, above every other source; the loader names it when its value is bad. */
export interface SettingFlag {
  readonly flag: string;
  readonly key: string;
  readonly value: string;
}

interface ConfigOptions {
  readonly configPath?: string;
  readonly settings: readonly SettingFlag[];
}

export type CliCommand =
  | ({ kind: 'serve' } & ConfigOptions)
  | ({ kind: 'config-validate' } & ConfigOptions)
  | ({ kind: 'config-print' } & ConfigOptions)
  | ({ kind: 'config-reload'; pidFile?: string } & ConfigOptions)
  | ({ kind: 'migrate' } & ConfigOptions)
  | ({ kind: 'events-tail'; subject?: string; all: boolean } & ConfigOptions)
  | ({ kind: 'host-agent'; listen?: string; secretFile?: string } & ConfigOptions)
  | { kind: 'help' }
  | { kind: 'version' };

const SETTING_FLAGS = { transport: 'server.transport', host: 'server.http.host', port: 'server.http.port' } as const;

export const USAGE = `Usage: tfo-mcp [--transport stdio|http] [--host HOST] [--port N] [--config PATH]
       tfo-mcp config validate [--config PATH]
       tfo-mcp config print [--config PATH]
       tfo-mcp config reload [--pid-file PATH] [--config PATH]
       tfo-mcp migrate [--config PATH]
       tfo-mcp events tail [--subject SUBJECT] [--all] [--config PATH]
       tfo-mcp host-agent --secret-file PATH [--listen URL] [--config PATH]
       tfo-mcp keys hash|create|list|revoke …   API keys for HTTP callers (tfo-mcp keys --help)

TelemetryFlow MCP server. Speaks MCP over stdio (newline-delimited JSON-RPC on stdin/stdout)
or over HTTP (--transport http); logs go to stderr.

Options:
  -c, --config PATH      YAML configuration file (default: ./tfo-mcp.yaml when present)
  -t, --transport NAME   stdio (default) or http (server.transport)
      --host HOST        http: the address to listen on (server.http.host, default 127.0.0.1)
      --port N           http: the port to listen on (server.http.port, default 8080; 0 = any free port)
  -s, --subject SUBJECT  events tail: only this subject (wildcards allowed), e.g. tfo.mcp.tool.>
  -a, --all              events tail: from the start of the stream instead of new events only
      --secret-file PATH host-agent: the shared secret (>= 32 bytes) requests are signed with (host_agent.secret_file)
      --listen URL       host-agent: unix:///path.sock or http://127.0.0.1:PORT (host_agent.listen); see docs/host-agent.md
      --pid-file PATH    config reload: the running HTTP server's pid file (default: server.pid_file); it is sent SIGHUP
  -v, --version          print the version and exit
  -h, --help             print this help and exit

Settings, highest first: these flags, environment variables TELEMETRYFLOW_MCP_<SECTION>__<KEY>
(e.g. TELEMETRYFLOW_MCP_LOGGING__LEVEL=debug), the YAML file, the defaults.
Exit codes: 0 ok, 1 could not start (e.g. the port is in use; config reload: no pid file or no such
process), 2 bad arguments or configuration.
`;

/** Shown on stderr when a person starts the stdio server in a terminal: nothing will prompt them. */
export function stdioTerminalHint(docs: string): string {
  return `tfo-mcp: waiting for an MCP client on stdin (JSON-RPC, one message per line); this is not an interactive prompt.
  Stop with Ctrl+C (or Ctrl+D). To serve MCP clients over HTTP instead: tfo-mcp --transport http [--port N].
  Options: tfo-mcp --help; docs: ${docs}
`;
}

export class UsageError extends Error {}

export function parseCli(argv: readonly string[]): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        transport: { type: 'string', short: 't' },
        host: { type: 'string' },
        port: { type: 'string' },
        subject: { type: 'string', short: 's' },
        all: { type: 'boolean', short: 'a' },
        'secret-file': { type: 'string' },
        listen: { type: 'string' },
        'pid-file': { type: 'string' },
        version: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const options: ConfigOptions = { configPath: values.config, settings: settingsOf(values) };
  const words = positionals.join(' ');
  if (words === 'host-agent') {
    if (options.settings.length > 0) throw new UsageError('--transport, --host and --port are server flags; the host agent listens on --listen URL');
    return { kind: 'host-agent', ...options, listen: values.listen, secretFile: values['secret-file'] };
  }
  // The agent's flags mean nothing to the server; silently ignoring them would hide a mistyped command.
  if (values.listen !== undefined || values['secret-file'] !== undefined) throw new UsageError('--listen and --secret-file belong to "tfo-mcp host-agent"');
  if (words === 'config reload') {
    if (options.settings.length > 0) throw new UsageError('--transport, --host and --port are server flags; config reload takes --pid-file PATH');
    return { kind: 'config-reload', ...options, pidFile: values['pid-file'] };
  }
  // Read only by config reload: the server writes the file named by server.pid_file.
  if (values['pid-file'] !== undefined) throw new UsageError('--pid-file belongs to "tfo-mcp config reload"; the server takes server.pid_file');
  if (words === '') return { kind: 'serve', ...options };
  if (words === 'config validate') return { kind: 'config-validate', ...options };
  if (words === 'config print') return { kind: 'config-print', ...options };
  if (words === 'migrate') return { kind: 'migrate', ...options };
  if (words === 'events tail') return { kind: 'events-tail', subject: values.subject, all: values.all === true, ...options };
  throw new UsageError(`unknown command "${words}"; try --help`);
}

function settingsOf(values: Partial<Record<keyof typeof SETTING_FLAGS, string | boolean>>): SettingFlag[] {
  return Object.entries(SETTING_FLAGS).flatMap(([name, key]) => {
    const value = values[name as keyof typeof SETTING_FLAGS];
    return typeof value === 'string' ? [{ flag: `--${name}`, key, value }] : [];
  });
}

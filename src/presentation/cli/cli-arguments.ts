import { parseArgs } from 'node:util';

export type CliCommand =
  | { kind: 'serve'; configPath?: string; transport?: string }
  | { kind: 'config-validate'; configPath?: string }
  | { kind: 'config-print'; configPath?: string }
  | { kind: 'migrate'; configPath?: string }
  | { kind: 'events-tail'; configPath?: string; subject?: string; all: boolean }
  | { kind: 'help' }
  | { kind: 'version' };

export const USAGE = `Usage: tfo-mcp [options]
       tfo-mcp config validate [--config PATH]
       tfo-mcp config print [--config PATH]
       tfo-mcp migrate [--config PATH]
       tfo-mcp events tail [--subject SUBJECT] [--all] [--config PATH]

TelemetryFlow MCP server. Speaks MCP over stdio (newline-delimited JSON-RPC on stdin/stdout);
logs go to stderr.

Options:
  -c, --config PATH      YAML configuration file (default: ./tfo-mcp.yaml when present)
  -t, --transport NAME   stdio (default) or http (server.http.host/port, default 127.0.0.1:8080)
  -s, --subject SUBJECT  events tail: only this subject (wildcards allowed), e.g. tfo.mcp.tool.>
  -a, --all              events tail: from the start of the stream instead of new events only
  -v, --version          print the version and exit
  -h, --help             print this help and exit

Environment variables TELEMETRYFLOW_MCP_<SECTION>__<KEY> override the file,
e.g. TELEMETRYFLOW_MCP_LOGGING__LEVEL=debug. Exit codes: 0 ok, 2 bad arguments or configuration.
`;

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
        subject: { type: 'string', short: 's' },
        all: { type: 'boolean', short: 'a' },
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
  const configPath = values.config;
  if (positionals.length === 0) return { kind: 'serve', configPath, transport: values.transport };
  if (positionals[0] === 'config' && positionals.length === 2 && positionals[1] === 'validate') return { kind: 'config-validate', configPath };
  if (positionals[0] === 'config' && positionals.length === 2 && positionals[1] === 'print') return { kind: 'config-print', configPath };
  if (positionals[0] === 'migrate' && positionals.length === 1) return { kind: 'migrate', configPath };
  if (positionals[0] === 'events' && positionals.length === 2 && positionals[1] === 'tail') {
    return { kind: 'events-tail', configPath, subject: values.subject, all: values.all === true };
  }
  throw new UsageError(`unknown command "${positionals.join(' ')}"; try --help`);
}

import { parseCli, stdioTerminalHint, USAGE, UsageError } from '../../../src/presentation/cli/cli-arguments.js';

describe('parseCli', () => {
  it('no arguments - serve with no settings', () => {
    expect(parseCli([])).toEqual({ kind: 'serve', configPath: undefined, settings: [] });
  });

  it('--transport, --host, --port - settings naming the flag and the key, values as typed', () => {
    expect(parseCli(['--port', '9000', '-t', 'http', '--host', '::1', '-c', 'conf.yaml'])).toEqual({
      kind: 'serve',
      configPath: 'conf.yaml',
      settings: [
        { flag: '--transport', key: 'server.transport', value: 'http' },
        { flag: '--host', key: 'server.http.host', value: '::1' },
        { flag: '--port', key: 'server.http.port', value: '9000' },
      ],
    });
  });

  it('--port with a bad value - passed on as typed (the config loader reports it, naming the flag)', () => {
    expect(parseCli(['--port=abc'])).toMatchObject({ settings: [{ flag: '--port', key: 'server.http.port', value: 'abc' }] });
  });

  it.each([
    [['config', 'validate', '--port', '1'], 'config-validate'],
    [['config', 'print', '--host', 'localhost'], 'config-print'],
    [['migrate', '--config', 'x.yaml'], 'migrate'],
  ])('%j - %s carries the settings too', (argv, kind) => {
    const command = parseCli(argv);
    expect(command.kind).toBe(kind);
    expect('settings' in command && command.settings.length + (command.configPath ? 1 : 0)).toBe(1);
  });

  it('events tail - subject and --all', () => {
    expect(parseCli(['events', 'tail', '-s', 'tfo.mcp.>', '--all'])).toEqual({
      kind: 'events-tail',
      subject: 'tfo.mcp.>',
      all: true,
      configPath: undefined,
      settings: [],
    });
  });

  it.each([[['--help', '--port', 'x']], [['-h']]])('%j - help', (argv) => {
    expect(parseCli(argv)).toEqual({ kind: 'help' });
  });

  it.each([
    [['serve'], /unknown command "serve"/],
    [['config'], /unknown command "config"/],
    [['--bogus'], /bogus/],
    [['--port'], /--port/],
  ])('%j - UsageError', (argv, message) => {
    expect(() => parseCli(argv)).toThrow(UsageError);
    expect(() => parseCli(argv)).toThrow(message);
  });
});

describe('USAGE', () => {
  it.each(['--config PATH', '--transport', '--host HOST', '--port N', 'server.http.port', 'TELEMETRYFLOW_MCP_'])('mentions %s', (text) => {
    expect(USAGE).toContain(text);
  });
});

describe('stdioTerminalHint', () => {
  it('says the server waits for a client on stdin, how to stop, how to use HTTP and where the docs are', () => {
    const hint = stdioTerminalHint('/opt/tfo-mcp/README.md');
    expect(hint).toMatch(/waiting for an MCP client on stdin/);
    expect(hint).toMatch(/Ctrl\+C/);
    expect(hint).toContain('--transport http');
    expect(hint).toContain('/opt/tfo-mcp/README.md');
    expect(hint.endsWith('\n')).toBe(true);
    expect(hint.split('\n').length).toBeLessThanOrEqual(4);
  });
});

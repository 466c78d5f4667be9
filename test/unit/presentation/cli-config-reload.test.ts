import { parseCli, USAGE, UsageError } from '../../../src/presentation/cli/cli-arguments.js';

describe('parseCli config reload', () => {
  it('config reload --pid-file P --config C - the pid file and config path carried', () => {
    expect(parseCli(['config', 'reload', '--pid-file', '/run/tfo.pid', '-c', 'conf.yaml'])).toEqual({
      kind: 'config-reload',
      configPath: 'conf.yaml',
      settings: [],
      pidFile: '/run/tfo.pid',
    });
  });

  it('config reload alone - no pid file (server.pid_file is read later)', () => {
    expect(parseCli(['config', 'reload'])).toMatchObject({ kind: 'config-reload', pidFile: undefined });
  });

  it.each([
    [['config', 'reload', '--port', '1']],
    [['--pid-file', 'x.pid']],
    [['config', 'print', '--pid-file', 'x.pid']],
    [['config', 'reload', '--pid-file']],
  ])('%j - a usage error', (argv) => {
    expect(() => parseCli(argv)).toThrow(UsageError);
  });

  it('usage - names the subcommand and its flag', () => {
    expect(USAGE).toContain('tfo-mcp config reload [--pid-file PATH]');
    expect(USAGE).toContain('--pid-file PATH');
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PidFile, PidFileError, signalReload } from '../../../src/infrastructure/system/pid-file.js';

/** A stand-in for a running server: a node process running `script` that reports each SIGHUP on stdout. */
const SERVER_SCRIPT = `process.on('SIGHUP', () => process.stdout.write('hup\\n')); process.stdout.write('ready\\n'); setInterval(() => {}, 1000);`;

describe('PidFile and signalReload', () => {
  let dir: string;
  let script: string;
  let file: string;
  const children: ChildProcess[] = [];

  /** Resolves once the child printed `ready` (its SIGHUP handler is installed). */
  function start(command: string, args: string[], cwd = dir): Promise<ChildProcess & { out: string[] }> {
    const child = Object.assign(spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] }), { out: [] as string[] });
    children.push(child);
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.stdout!.on('data', (chunk: Buffer) => {
        child.out.push(...chunk.toString().split('\n').filter(Boolean));
        if (child.out.includes('ready')) resolve(child);
      });
      if (command !== process.execPath) setTimeout(() => resolve(child), 50);
    });
  }

  async function deadPid(): Promise<number> {
    const child = spawn('true');
    await new Promise((resolve) => child.once('exit', resolve));
    return child.pid!;
  }

  beforeEach(async () => {
    dir = await realpath(await mkdtemp(path.join(tmpdir(), 'tfo-pid-file-')));
    script = path.join(dir, 'main.js');
    file = path.join(dir, 'tfo-mcp.pid');
    await writeFile(script, SERVER_SCRIPT);
  });

  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('claim - writes our pid, mode 0644; release - removes it', async () => {
    const claimed = PidFile.claim(file, script);
    expect(await readFile(file, 'utf8')).toBe(`${process.pid}\n`);
    expect((await stat(file)).mode & 0o777).toBe(0o644);
    claimed.release();
    expect(existsSync(file)).toBe(false);
  });

  it('release - the file now names another process - left alone', async () => {
    const claimed = PidFile.claim(file, script);
    await writeFile(file, '12345\n');
    claimed.release();
    expect(await readFile(file, 'utf8')).toBe('12345\n');
  });

  it('claim - the file names a live tfo-mcp (same entry script, started by a relative path) - refused, file untouched', async () => {
    const other = await start(process.execPath, ['main.js']);
    await writeFile(file, `${other.pid}\n`);
    expect(() => PidFile.claim(file, script)).toThrow(PidFileError);
    expect(() => PidFile.claim(file, script)).toThrow(`names tfo-mcp process ${other.pid}, which is running`);
    expect(await readFile(file, 'utf8')).toBe(`${other.pid}\n`);
  });

  it.each([
    ['a dead process', async () => `${await deadPid()}\n`, true],
    ['not a pid', async () => 'hello\n', false],
  ])('claim - the file names %s - replaced, reported as stale', async (_name, content, hasPid) => {
    const text = await content();
    await writeFile(file, text);
    const stale: (number | undefined)[] = [];
    PidFile.claim(file, script, (pid) => stale.push(pid));
    expect(stale).toEqual([hasPid ? Number(text) : undefined]);
    expect(await readFile(file, 'utf8')).toBe(`${process.pid}\n`);
  });

  it('claim - the pid was reused by another program - replaced, reported as stale', async () => {
    const sleeper = await start('sleep', ['30']);
    await writeFile(file, `${sleeper.pid}\n`);
    const stale: (number | undefined)[] = [];
    PidFile.claim(file, script, (pid) => stale.push(pid));
    expect(stale).toEqual([sleeper.pid]);
  });

  it('signalReload - a live tfo-mcp - SIGHUP sent and received', async () => {
    const server = await start(process.execPath, [script]);
    await writeFile(file, `${server.pid}\n`);
    expect(signalReload(file, script)).toEqual({ kind: 'sent', pid: server.pid });
    const deadline = Date.now() + 5000;
    while (!server.out.includes('hup') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server.out).toContain('hup');
  });

  it('signalReload - no file, not a pid, a dead process - nothing sent, each said', async () => {
    expect(signalReload(file, script)).toEqual({ kind: 'no_file' });
    await writeFile(file, 'garbage');
    expect(signalReload(file, script)).toEqual({ kind: 'invalid', content: 'garbage' });
    const pid = await deadPid();
    await writeFile(file, `${pid}\n`);
    expect(signalReload(file, script)).toEqual({ kind: 'dead', pid });
  });

  it('signalReload - the pid belongs to another program - not signalled (SIGHUP would have ended it)', async () => {
    const sleeper = await start('sleep', ['30']);
    await writeFile(file, `${sleeper.pid}\n`);
    expect(signalReload(file, script)).toEqual({ kind: 'not_tfo_mcp', pid: sleeper.pid });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sleeper.exitCode).toBeNull();
    expect(sleeper.signalCode).toBeNull();
  });
});

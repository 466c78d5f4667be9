import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DomainError } from '../../../src/domain/shared/domain-error.js';
import { RecordingLogger, rootsClient, workspaceScopes } from '../../support/builders.js';

let base: string;
let project: string;
let src: string;
let other: string;

beforeAll(async () => {
  base = await realpath(await mkdtemp(path.join(os.tmpdir(), 'tfo-scopes-')));
  project = path.join(base, 'project');
  src = path.join(project, 'src');
  other = path.join(base, 'other');
  await mkdir(src, { recursive: true });
  await mkdir(other);
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

async function noRoots(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe('workspace.no_roots');
  return error as DomainError;
}

describe('WorkspaceScopes', () => {
  it('gives a client without the roots capability the server roots', async () => {
    const scopes = workspaceScopes([project]);
    expect((await scopes.for(rootsClient(undefined))).roots()).toEqual([project]);
    expect((await scopes.for(undefined)).roots()).toEqual([project]);
  });

  it('confines a client that declares roots to exactly its roots when mcp.roots is not set', async () => {
    const scopes = workspaceScopes([project]);
    expect((await scopes.for(rootsClient([other]))).roots()).toEqual([other]);
  });

  it('narrows client roots to mcp.roots when the operator set them', async () => {
    const scopes = workspaceScopes([project], { configured: [project] });
    expect((await scopes.for(rootsClient([src, other]))).roots()).toEqual([src]);
    expect((await scopes.for(rootsClient([base]))).roots()).toEqual([project]);
  });

  it('refuses, naming both lists, when no client root overlaps mcp.roots', async () => {
    const scopes = workspaceScopes([project], { configured: [project] });
    const error = await noRoots(scopes.for(rootsClient([other])));
    expect(error.message).toContain(other);
    expect(error.message).toContain('mcp.roots');
  });

  it('treats a client that lists no file roots as declaring none', async () => {
    const scopes = workspaceScopes([project]);
    expect((await scopes.for(rootsClient([]))).roots()).toEqual([project]);
    expect((await scopes.for(rootsClient(['https://example.invalid/repo']))).roots()).toEqual([project]);
  });

  it('does not ask a client that answers later (a stateless request) for its roots: the server roots apply', async () => {
    let asked = 0;
    const scopes = workspaceScopes([project]);
    const client = { ...rootsClient([other], () => (asked += 1)), answersLater: true };
    expect((await scopes.for(client)).roots()).toEqual([project]);
    expect(await scopes.effective(client)).toEqual({ roots: [project], source: 'server' });
    expect(asked).toBe(0);
  });

  it('falls back to the server roots, with a warning, when roots/list fails', async () => {
    const logger = new RecordingLogger();
    const scopes = workspaceScopes([project], { logger });
    const client = { ...rootsClient([other]), listRoots: async () => Promise.reject(new Error('Request timed out')) };
    expect((await scopes.for(client)).roots()).toEqual([project]);
    expect(logger.lines.some((line) => line.level === 'warn' && line.message.includes('roots/list failed'))).toBe(true);
  });

  it('without any root answers with the reason that names mcp.roots', async () => {
    const scopes = workspaceScopes([], { noRootsReason: 'mcp.roots is not set and the working directory "/" is the file system root' });
    const error = await noRoots(scopes.for(undefined));
    expect(error.message).toContain('mcp.roots');
    // A client that declares roots still gets them.
    expect((await scopes.for(rootsClient([project]))).roots()).toEqual([project]);
  });

  it('reports the effective roots and where they came from', async () => {
    const scopes = workspaceScopes([project], { configured: [project] });
    expect(await scopes.effective(undefined)).toEqual({ roots: [project], source: 'server' });
    expect(await scopes.effective(rootsClient([src]))).toEqual({ roots: [src], source: 'client ∩ mcp.roots' });
  });

  it('builds one workspace per root set', async () => {
    const scopes = workspaceScopes([project]);
    expect(await scopes.for(rootsClient([other]))).toBe(await scopes.for(rootsClient([other])));
  });
});

import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { unsafeDefaultRoot } from '../../domain/workspace/root-selection.js';

/** A root that cannot serve: the loader reports it as a problem with mcp.roots. */
export class RootsProblem extends Error {}

export type RootsSource = 'config' | 'working-directory' | 'none';

export interface ResolvedRoots {
  /** Absolute roots the file tools use when the client declares none; empty when there are none. */
  readonly roots: readonly string[];
  readonly source: RootsSource;
  /** Why there are no roots (source 'none'): shown in the ready line and in the file tools' errors. */
  readonly note?: string;
}

export const ROOTS_HINT = 'set mcp.roots (TELEMETRYFLOW_MCP_MCP__ROOTS=\'["/path/to/project"]\') to the directories the file tools may use';

/**
 * mcp.roots as configured (each must be an existing directory), or else the working directory,
 * unless that is "/", a home directory or a system directory: then no root at all, and the file
 * tools say what to set instead of silently serving the whole machine.
 */
export function resolveRoots(configured: readonly string[] | undefined, cwd: string, home: string | undefined): ResolvedRoots {
  if (configured === undefined) {
    const reason = unsafeDefaultRoot(cwd, home);
    if (reason === undefined) return { roots: [resolve(cwd)], source: 'working-directory' };
    return { roots: [], source: 'none', note: `mcp.roots is not set and ${reason}; ${ROOTS_HINT}` };
  }
  if (configured.length === 0) throw new RootsProblem('at least one root directory is required');
  return { roots: configured.map((root) => existingDirectory(isAbsolute(root) ? resolve(root) : resolve(cwd, root))), source: 'config' };
}

function existingDirectory(root: string): string {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(root).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new RootsProblem(code === 'ENOENT' ? `the root "${root}" does not exist` : `the root "${root}" cannot be read (${code ?? 'error'})`);
  }
  if (!isDirectory) throw new RootsProblem(`the root "${root}" is not a directory`);
  return root;
}

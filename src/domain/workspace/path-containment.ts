import path from 'node:path';
import { DomainError } from '../shared/domain-error.js';

/**
 * Root confinement as pure path arithmetic. Callers pass paths that are already absolute and
 * symlink-resolved: this module never touches the file system, so it can be tested exhaustively.
 */

/** A path as messages echo it: long ones shortened to their start and end, so an error stays readable. */
export function shortPath(value: string): string {
  return value.length > 100 ? `${value.slice(0, 60)}…${value.slice(-20)}` : value;
}

/** Rejects input no file system could mean the way the caller intended (empty, NUL-truncated). */
export function assertValidPathInput(input: string): void {
  if (input.length === 0) {
    throw new DomainError('workspace.invalid_path', 'the path is empty', { path: input });
  }
  // The OS stops reading a path at NUL, so "ok.txt\0../../etc" would name something else than checked.
  if (input.includes('\0')) {
    const shown = shortPath(input.replaceAll('\0', '\\0'));
    throw new DomainError('workspace.invalid_path', `the path "${shown}" contains a NUL byte`, { path: shown });
  }
}

/** Lexically absolute form of `input`; relative input is taken relative to `base` (itself absolute). */
export function toAbsolute(input: string, base: string): string {
  return path.isAbsolute(input) ? path.normalize(input) : path.resolve(base, input);
}

function components(absolute: string): string[] {
  return path.normalize(absolute).split(path.sep).filter((part) => part.length > 0);
}

/**
 * True when `target` is `root` or below it. Compares whole components, so "/root-evil" is not
 * inside "/root". Relative paths are never inside anything: failing closed beats guessing a cwd.
 */
export function isWithinRoot(root: string, target: string): boolean {
  if (!path.isAbsolute(root) || !path.isAbsolute(target)) return false;
  const rootParts = components(root);
  const targetParts = components(target);
  if (rootParts.length > targetParts.length) return false;
  return rootParts.every((part, index) => part === targetParts[index]);
}

export function isWithinRoots(roots: readonly string[], target: string): boolean {
  return roots.some((root) => isWithinRoot(root, target));
}

/** Throws workspace.path_outside_roots naming the path as the caller wrote it, not the resolved one. */
export function assertWithinRoots(roots: readonly string[], realPath: string, displayPath: string): void {
  if (isWithinRoots(roots, realPath)) return;
  const allowed = roots.length > 0 ? roots.join(', ') : '(none configured)';
  const shown = shortPath(displayPath);
  throw new DomainError('workspace.path_outside_roots', `the path "${shown}" is outside the allowed roots: ${allowed}`, { path: shown });
}

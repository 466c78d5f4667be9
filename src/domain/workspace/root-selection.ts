import path from 'node:path';
import { isWithinRoot } from './path-containment.js';

/**
 * Which directories the file tools may use, as pure path arithmetic: the client's roots narrowed
 * by the operator's, and whether a working directory is fit to become a root by default.
 */

/**
 * The parts of the client's roots that the operator's roots also cover: a client root inside an
 * operator root is kept as it is, an operator root inside a client root is kept instead, and
 * disjoint roots give nothing. Both lists are absolute, symlink-resolved paths.
 */
export function intersectRoots(clientRoots: readonly string[], operatorRoots: readonly string[]): string[] {
  const out: string[] = [];
  for (const client of clientRoots) {
    for (const operator of operatorRoots) {
      if (isWithinRoot(operator, client)) out.push(client);
      else if (isWithinRoot(client, operator)) out.push(operator);
    }
  }
  return withoutNested(out);
}

/** Drops duplicates and roots that another root in the list already contains. */
export function withoutNested(roots: readonly string[]): string[] {
  const unique = [...new Set(roots.map((root) => path.resolve(root)))];
  return unique.filter((root) => !unique.some((other) => other !== root && isWithinRoot(other, root)));
}

/** Directories whose whole tree belongs to the system or to every user: never a root by accident. */
const SYSTEM_DIRECTORIES = new Set([
  '/', '/bin', '/boot', '/dev', '/etc', '/home', '/lib', '/lib32', '/lib64', '/libx32', '/media', '/mnt', '/opt',
  '/proc', '/root', '/run', '/sbin', '/srv', '/sys', '/tmp', '/usr', '/var', '/var/tmp',
  // macOS
  '/Applications', '/Library', '/System', '/Users', '/Volumes', '/private', '/private/tmp', '/private/var', '/cores',
]);

/**
 * Why the working directory `cwd` must not silently become the root of the file tools, or
 * undefined when it may. Claude Desktop starts servers in "/" on macOS; a home directory holds
 * keys and shell profiles; the system directories hold everything else.
 */
export function unsafeDefaultRoot(cwd: string, home: string | undefined): string | undefined {
  const dir = path.normalize(cwd);
  if (dir === path.parse(dir).root) return `the working directory "${dir}" is the file system root`;
  if (SYSTEM_DIRECTORIES.has(dir) || /^[A-Za-z]:\\(Windows|Program Files|Users)?\\?$/i.test(dir)) {
    return `the working directory "${dir}" is a system directory`;
  }
  if (home !== undefined && home !== '' && path.normalize(home) === dir) return `the working directory "${dir}" is a home directory`;
  if (/^\/(home|Users)\/[^/]+$/.test(dir)) return `the working directory "${dir}" is a home directory`;
  return undefined;
}

import path from 'node:path';

/**
 * Paths that expose a process's memory or environment (the server's API keys among them) or the
 * machine's memory: /proc/self, /proc/thread-self and /proc/<pid>, /proc/kcore, /dev/mem and kin.
 * Matched anywhere in an argument, so glued (`-f/proc/1/environ`) and `=` forms are caught too.
 */
const SECRET_TEXT = /\/proc\/+(?:\.\/+)*(?:self|thread-self|\d+|kcore)(?:\/|$)|\/dev\/+(?:k?mem|port)(?:\/|$)/;

export function mentionsSecretPath(text: string): boolean {
  return SECRET_TEXT.test(text);
}

/** For a resolved absolute path: `..` and `//` are gone, so only the plain forms remain to match. */
export function isSecretPath(absolute: string): boolean {
  return mentionsSecretPath(path.posix.normalize(absolute));
}

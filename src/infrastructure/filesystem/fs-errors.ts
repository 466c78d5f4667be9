/**
 * Errors shaped like Node's own (`code` = errno name), so the tool edge maps ours and the kernel's
 * the same way. The message stays in the server log; the model only ever sees the mapped envelope.
 */
export function errnoError(code: string, message: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: ${message}`);
  error.code = code;
  return error;
}

export function hasErrno(error: unknown, ...codes: string[]): boolean {
  const code = (error as NodeJS.ErrnoException | null | undefined)?.code;
  return typeof code === 'string' && codes.includes(code);
}

/**
 * What was opened is not what was checked: a directory or the file on a confined path was
 * replaced (a symlink swapped in, a rename) between resolving it and using it. ESTALE is the
 * kernel's own "re-resolve and retry" code, and retrying is the right answer for an honest race.
 */
export function pathChangedError(expected: string, detail: string): NodeJS.ErrnoException {
  return errnoError('ESTALE', `${expected} changed while it was being opened (${detail})`);
}

/**
 * Node's style for errors that are not the kernel's (ERR_…): no errno says "this file has another
 * name", and borrowing EMLINK would mislabel the kernel's own "too many links".
 */
export const HARD_LINKED = 'ERR_FS_HARD_LINKED';

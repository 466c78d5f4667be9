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

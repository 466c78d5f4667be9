/** Flags whose next argument is a secret (`--password hunter2`). */
const SECRET_FLAG = /^--?([a-z0-9]*[-_])?(password|passwd|pass|token|secret|api[-_]?key|key|auth|credentials?)$/i;
/** `NAME=value` and `--name=value` where the name says secret. */
const SECRET_ASSIGNMENT = /^(--?)?([A-Za-z0-9_.-]*(password|passwd|token|secret|api[-_]?key|key|auth|credentials?))=(.+)$/i;
/** user:password@ in a URL. */
const URL_USERINFO = /^([a-z][a-z0-9+.-]*:\/\/[^/@:\s]*):[^/@\s]+@/i;
/** HTTP auth headers given to curl-like programs (`-H "Authorization: Bearer …"`). */
const AUTH_HEADER = /^(authorization|proxy-authorization|cookie|x-api-key)\s*:\s*.+$/i;

const MASK = '[redacted]';

/** argv as the audit may keep it: values that look like credentials replaced, the rest unchanged. */
export function maskArgv(args: readonly string[]): string[] {
  const masked: string[] = [];
  let secretNext = false;
  for (const arg of args) {
    if (secretNext) {
      masked.push(MASK);
      secretNext = false;
      continue;
    }
    secretNext = SECRET_FLAG.test(arg);
    const header = AUTH_HEADER.exec(arg);
    if (header) masked.push(`${header[1]}: ${MASK}`);
    else masked.push(arg.replace(SECRET_ASSIGNMENT, (_whole, dash: string | undefined, name: string) => `${dash ?? ''}${name}=${MASK}`).replace(URL_USERINFO, `$1:${MASK}@`));
  }
  return masked;
}

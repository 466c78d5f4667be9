import { closeSync, openSync, writeSync } from 'node:fs';
import { redactText } from '../../config/redact.js';

/** One line per request the agent answers (health checks only when refused). */
export interface AuditRecord {
  readonly action: 'execute' | 'which' | 'health' | 'unknown';
  readonly outcome: 'accepted' | 'refused';
  /** Why it was refused: an authentication reason or `policy.<rule>`. */
  readonly reason?: string;
  readonly program?: string;
  readonly argv?: readonly string[];
  readonly cwd?: string;
  /** Names only: values may be secrets. */
  readonly envNames?: readonly string[];
  readonly shell?: boolean;
  readonly exitCode?: number | null;
  readonly signal?: string | null;
  readonly durationMs?: number;
  readonly stdoutBytes?: number;
  readonly stderrBytes?: number;
  readonly truncated?: boolean;
  readonly timedOut?: boolean;
  readonly cancelled?: boolean;
  readonly remote?: string;
}

/**
 * The agent's audit channel, apart from its operator log: a JSON line per request, written
 * synchronously so a line is on disk before the answer leaves (an audit that loses its last lines
 * on a crash is not one). Argv is masked on the way in; the secret never reaches this class.
 */
export class HostAgentAudit {
  private readonly fd: number;
  private readonly owned: boolean;

  constructor(target: string, private readonly now: () => Date = () => new Date()) {
    this.owned = target !== 'stderr';
    this.fd = this.owned ? openSync(target, 'a', 0o600) : 2;
  }

  record(entry: AuditRecord): void {
    const masked = entry.argv ? { ...entry, argv: maskArgv(entry.argv) } : entry;
    const line = JSON.stringify({ time: this.now().toISOString(), channel: 'host_agent.audit', ...masked, program: masked.program && redactText(masked.program) });
    writeSync(this.fd, `${line}\n`);
  }

  close(): void {
    if (this.owned) closeSync(this.fd);
  }
}

const SECRET_OPTION = /^-{1,2}[a-z0-9_-]*(pass(word|wd)?|secret|token|api[_-]?key|key|auth(orization)?|credentials?)$/i;
const SECRET_ASSIGNMENT = /^([a-z0-9_-]*(pass(word|wd)?|secret|token|api[_-]?key|key|auth(orization)?|credentials?))=/i;
const MASK = '[masked]';

/**
 * `--password hunter2`, `--token=abc`, `API_KEY=abc` and URL credentials are masked; everything else
 * is kept, because an audit that hides what ran is useless. A guess by name, like the server's own
 * log redaction: a secret passed under an innocent name stays visible, so say so in the docs.
 */
export function maskArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  let maskNext = false;
  for (const arg of argv) {
    if (maskNext) {
      out.push(MASK);
      maskNext = false;
      continue;
    }
    const eq = arg.indexOf('=');
    if (arg.startsWith('-') && eq > 0 && SECRET_OPTION.test(arg.slice(0, eq))) {
      out.push(`${arg.slice(0, eq + 1)}${MASK}`);
    } else if (arg.startsWith('-') && SECRET_OPTION.test(arg)) {
      out.push(arg);
      maskNext = true;
    } else if (SECRET_ASSIGNMENT.test(arg)) {
      out.push(arg.replace(/=.*$/s, `=${MASK}`));
    } else {
      out.push(redactText(arg));
    }
  }
  return out;
}

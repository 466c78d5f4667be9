import { DomainError } from '../shared/domain-error.js';

export interface EnvPolicyOptions {
  /** The env allowlist: server variables a child may see (execution.security.env_passthrough). */
  readonly passthrough: readonly string[];
  /** Refused from callers and dropped from the passthrough; `NAME*` matches a prefix (execution.security.env_refused). */
  readonly refused: readonly string[];
}

/** Names that hold the server's secrets: never handed on from the server, whatever the allowlist says. */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|COOKIE|AUTH/i;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The whole environment of a child: the allowlisted server variables (minus secret-looking and
 * refused names), then what the caller set. Pure: the server environment is handed in. A child
 * never inherits anything else, so a secret the server holds cannot reach it by omission.
 */
export class EnvPolicy {
  private readonly exact: ReadonlySet<string>;
  private readonly prefixes: readonly string[];

  constructor(private readonly options: EnvPolicyOptions) {
    this.exact = new Set(options.refused.filter((entry) => !entry.endsWith('*')));
    this.prefixes = options.refused.filter((entry) => entry.endsWith('*')).map((entry) => entry.slice(0, -1));
  }

  /** Throws DomainError('policy.command_denied', rule env_refused | env_invalid_name) for a caller variable it will not set. */
  childEnv(serverEnv: Readonly<Record<string, string | undefined>>, requested: Readonly<Record<string, string>> = {}): Record<string, string> {
    const env: Record<string, string> = {};
    for (const name of this.options.passthrough) {
      const value = serverEnv[name];
      if (value !== undefined && !SECRET_NAME.test(name) && !this.isRefused(name)) env[name] = value;
    }
    for (const [name, value] of Object.entries(requested)) {
      if (!NAME.test(name) || value.includes('\0')) deny(`environment variable "${name}" is not a valid name=value pair`, name, 'env_invalid_name');
      if (this.isRefused(name)) {
        deny(`environment variable "${name}" is refused by execution.security.env_refused: it changes what a program loads or runs before its own code`, name, 'env_refused');
      }
      env[name] = value;
    }
    return env;
  }

  isRefused(name: string): boolean {
    const upper = name.toUpperCase();
    return this.exact.has(name) || this.exact.has(upper) || this.prefixes.some((prefix) => upper.startsWith(prefix.toUpperCase()));
  }
}

function deny(message: string, name: string, rule: string): never {
  throw new DomainError('policy.command_denied', message, { rule, env: name });
}

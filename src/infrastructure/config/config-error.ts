/** How many problems one report lists; the rest are counted. */
const MAX_LISTED = 10;

/**
 * A configuration problem, named by its key and, once located, by where the bad value came from
 * (`TELEMETRYFLOW_MCP_SERVER__HTTP__PORT="abc" (server.http.port)`): start-up stops with it (exit code 2).
 */
export class ConfigError extends Error {
  /** The others, when this error stands for several (kept private: a public self-reference breaks JSON). */
  readonly #all?: readonly ConfigError[];

  constructor(
    readonly key: string,
    readonly problem: string,
    readonly where?: string,
    problems?: readonly ConfigError[],
  ) {
    super(problems && problems.length > 1 ? listed(problems) : `${where ?? key}: ${problem}`);
    this.name = 'ConfigError';
    if (problems && problems.length > 1) this.#all = problems;
  }

  /** Every problem found, this one first; more than one when the configuration had several. */
  get problems(): readonly ConfigError[] {
    return this.#all ?? [this];
  }

  /** One error carrying them all, one per line (capped), so a user fixes everything in one round. */
  static all(errors: readonly ConfigError[]): ConfigError {
    if (errors.length === 1) return errors[0];
    const [first] = errors;
    return new ConfigError(first.key, first.problem, first.where, errors);
  }
}

function listed(problems: readonly ConfigError[]): string {
  const lines = problems.slice(0, MAX_LISTED).map((error) => `  ${error.message}`);
  if (problems.length > MAX_LISTED) lines.push(`  … and ${problems.length - MAX_LISTED} more`);
  return [`${problems.length} problems:`, ...lines].join('\n');
}

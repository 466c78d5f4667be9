import { ToolFailure } from '../application.errors.js';

/**
 * What one kind of work holds right now (running commands, bytes of file reads), counted per
 * session and in all, against a cap for each. Work that would pass a cap is refused at once, not
 * queued: the caller answers with a retryable error, so one client cannot starve the others.
 */
export class InFlightBudget {
  #total = 0;
  readonly #bySession = new Map<string, number>();

  constructor(
    readonly globalCap: number,
    readonly sessionCap: number,
    /** Told of each refusal (the executor-refusal metric); nothing by default. */
    private readonly onRefused?: (scope: 'global' | 'session') => void,
  ) {}

  get total(): number {
    return this.#total;
  }

  /**
   * Reserves `amount` for `session`; returns the release (safe to call twice), or the cap that
   * would be passed. An amount larger than a cap is still admitted when nothing else is held, so a
   * single maximum-size read always fits.
   */
  reserve(session: string, amount = 1): { release: () => void } | { refused: 'global' | 'session' } {
    const held = this.#bySession.get(session) ?? 0;
    if (held > 0 && held + amount > this.sessionCap) return this.refuse('session');
    if (this.#total > 0 && this.#total + amount > this.globalCap) return this.refuse('global');
    this.#total += amount;
    this.#bySession.set(session, held + amount);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#total -= amount;
        const left = (this.#bySession.get(session) ?? amount) - amount;
        if (left > 0) this.#bySession.set(session, left);
        else this.#bySession.delete(session);
      },
    };
  }

  private refuse(scope: 'global' | 'session'): { refused: 'global' | 'session' } {
    this.onRefused?.(scope);
    return { refused: scope };
  }
}

/** What a budget counts and the settings that size it, for the error a refused caller gets. */
export interface BudgetNames {
  /** e.g. "running commands", "bytes of file reads". */
  readonly what: string;
  readonly globalSetting: string;
  readonly sessionSetting: string;
  /** What else the caller can do besides waiting. */
  readonly suggestion?: string;
}

/**
 * Reserves `amount` or fails with the retryable "server busy" envelope naming the cap that was
 * reached. Returns the release.
 */
export function admit(budget: InFlightBudget, names: BudgetNames, session: string, amount = 1): () => void {
  const outcome = budget.reserve(session, amount);
  if ('release' in outcome) return outcome.release;
  const [scope, cap, setting] =
    outcome.refused === 'session' ? ['this session', budget.sessionCap, names.sessionSetting] : ['the server', budget.globalCap, names.globalSetting];
  throw new ToolFailure({
    error: 'server busy',
    reason: `${scope} already holds its limit of ${cap} ${names.what} (${setting})`,
    suggested_actions: ['retry when a call in progress has finished', ...(names.suggestion ? [names.suggestion] : [])],
    retryable: true,
    context: { limit: cap, setting },
  });
}

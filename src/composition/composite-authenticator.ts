import type { AuthOutcome, Authenticator, Credentials } from '../application/ports/authenticator.js';

const ABSENT: AuthOutcome = Object.freeze({ kind: 'absent' });

/**
 * Several authenticators as one, asked in order: the first that recognises the credential decides
 * (authenticated, rejected, forbidden or unavailable); `absent` passes it on. API keys go first:
 * their prefix is recognised without any work, and a bearer value that is not one is left to OAuth.
 */
export class CompositeAuthenticator implements Authenticator {
  constructor(private readonly authenticators: readonly Authenticator[]) {}

  async authenticate(credentials: Credentials): Promise<AuthOutcome> {
    for (const authenticator of this.authenticators) {
      const outcome = await authenticator.authenticate(credentials);
      if (outcome.kind !== 'absent') return outcome;
    }
    return ABSENT;
  }

  async close(): Promise<void> {
    await Promise.all(this.authenticators.map((authenticator) => authenticator.close?.()));
  }
}

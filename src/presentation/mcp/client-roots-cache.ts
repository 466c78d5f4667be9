import type { ClientRoot } from '../../application/ports/client-requests.js';

/**
 * The client's answer to roots/list, kept for the session: asked once, shared by the calls that
 * need it meanwhile, and forgotten on notifications/roots/list_changed (or when asking failed).
 */
export class ClientRootsCache {
  #listing?: Promise<readonly ClientRoot[]>;

  list(ask: () => Promise<readonly ClientRoot[]>): Promise<readonly ClientRoot[]> {
    let listing = this.#listing;
    if (!listing) {
      listing = ask();
      this.#listing = listing;
      const asked = listing;
      asked.catch(() => {
        if (this.#listing === asked) this.#listing = undefined;
      });
    }
    return listing;
  }

  invalidate(): void {
    this.#listing = undefined;
  }
}

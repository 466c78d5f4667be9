/**
 * Calls in flight per principal. A slot has an id chosen by the caller, so that giving it back is
 * idempotent (a second give of the same id frees nothing) and a take whose answer was lost can be
 * undone by id.
 */
export interface ConcurrencySlots {
  /** True when the slot was taken, false when `max` are already taken. Rejects when the store fails. */
  take(subject: string, slot: string, max: number): Promise<boolean>;
  give(subject: string, slot: string): Promise<void>;
}

/** One process's slots. */
export class InMemoryConcurrencySlots implements ConcurrencySlots {
  private readonly held = new Map<string, Set<string>>();

  async take(subject: string, slot: string, max: number): Promise<boolean> {
    let slots = this.held.get(subject);
    if (!slots) {
      slots = new Set();
      this.held.set(subject, slots);
    }
    if (slots.size >= max) return false;
    slots.add(slot);
    return true;
  }

  async give(subject: string, slot: string): Promise<void> {
    const slots = this.held.get(subject);
    if (!slots?.delete(slot)) return;
    // Principals come and go; an empty entry would stay forever.
    if (slots.size === 0) this.held.delete(subject);
  }
}

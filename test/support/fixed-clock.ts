import type { Clock, IdGenerator } from '../../src/application/ports/clock.js';
import type { EventMetaSource } from '../../src/domain/shared/event-meta-source.js';

export const T0 = new Date('2025-01-01T00:00:00.000Z');

/** A clock that only moves when a test moves it. */
export class FixedClock implements Clock {
  private current: number;

  constructor(start: Date = T0) {
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current += ms;
  }

  set(date: Date): void {
    this.current = date.getTime();
  }
}

/** Ids `${prefix}-1`, `${prefix}-2`, … in order: predictable and unique within a test. */
export class SequentialIds implements IdGenerator {
  private count = 0;

  constructor(private readonly prefix = 'id') {}

  next(): string {
    this.count += 1;
    return `${this.prefix}-${this.count}`;
  }

  get issued(): number {
    return this.count;
  }
}

/** The EventMetaSource the composition root builds, over a fixed clock and sequential ids. */
export function eventMetaFrom(clock: Clock, ids: IdGenerator): EventMetaSource {
  return () => ({ id: ids.next(), occurredAt: clock.now() });
}

/** Shorthand for domain tests: a fixed clock, ids `evt-N`, and the meta source over both. */
export function fixedMeta(start: Date = T0): { clock: FixedClock; ids: SequentialIds; meta: EventMetaSource } {
  const clock = new FixedClock(start);
  const ids = new SequentialIds('evt');
  return { clock, ids, meta: eventMetaFrom(clock, ids) };
}

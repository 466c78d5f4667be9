import { randomUUID } from 'node:crypto';
import type { Clock, IdGenerator } from '../../application/ports/clock.js';

export class SystemClock implements Clock {
  now(): Date {
    return new Date();
  }
}

/** UUID v4: 122 random bits from the CSPRNG. */
export class RandomUuidGenerator implements IdGenerator {
  next(): string {
    return randomUUID();
  }
}

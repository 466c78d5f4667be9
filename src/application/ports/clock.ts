export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  /** Unique, unguessable (≥122 random bits) identifiers. */
  next(): string;
}

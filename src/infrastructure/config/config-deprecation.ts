/** A deprecated key that was set, and where it moved (its own file: section schemas and config.schema.ts both use it). */
export interface ConfigDeprecation {
  readonly key: string;
  readonly movedTo: string;
  /** Both were set: the new key's value is used. */
  readonly ignored: boolean;
}

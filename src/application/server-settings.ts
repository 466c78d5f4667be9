/** The slice of configuration the use cases need, as plain values (the application never reads config). */
export interface ServerSettings {
  readonly name: string;
  readonly version: string;
  readonly supportedProtocolVersions: readonly string[];
  readonly pageSize: number;
  readonly toolTimeoutMs: number;
  /** How long shutdown waits for requests in flight. */
  readonly drainTimeoutMs: number;
  readonly defaultClientLogLevel: string;
  readonly startedAt: Date;
}

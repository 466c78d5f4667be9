import { DomainError } from '../shared/domain-error.js';

/** Who is on the other end, as the client declared it at initialize. */
export class ClientInfo {
  private constructor(
    readonly name: string,
    readonly version: string,
    readonly title?: string,
  ) {}

  static of(input: { name: string; version: string; title?: string }): ClientInfo {
    const name = input.name.trim();
    if (name.length === 0 || name.length > 200) {
      throw new DomainError('value.invalid', 'clientInfo.name must be 1 to 200 characters');
    }
    if (input.version.length > 100) throw new DomainError('value.invalid', 'clientInfo.version is longer than 100 characters');
    return new ClientInfo(name, input.version, input.title);
  }

  toJSON(): { name: string; version: string; title?: string } {
    return { name: this.name, version: this.version, ...(this.title !== undefined ? { title: this.title } : {}) };
  }
}

/** The client's declared capabilities: kept as given (they are the client's contract), frozen. */
export class ClientCapabilities {
  private constructor(readonly value: Readonly<Record<string, unknown>>) {}

  static of(value: Record<string, unknown>): ClientCapabilities {
    return new ClientCapabilities(Object.freeze({ ...value }));
  }

  has(capability: string): boolean {
    return this.value[capability] !== undefined;
  }
}

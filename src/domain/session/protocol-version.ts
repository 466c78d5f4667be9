import { DomainError } from '../shared/domain-error.js';

const FORMAT = /^\d{4}-\d{2}-\d{2}$/;

/** An MCP protocol revision (a date string). Negotiation follows the spec: echo a supported request, else offer our latest. */
export class ProtocolVersion {
  private constructor(readonly value: string) {}

  static of(value: string): ProtocolVersion {
    if (!FORMAT.test(value)) {
      throw new DomainError('value.invalid', `protocol version must look like YYYY-MM-DD, got "${value.slice(0, 40)}"`);
    }
    return new ProtocolVersion(value);
  }

  /** `supported` is ordered newest first. */
  static negotiate(requested: string, supported: readonly string[]): ProtocolVersion {
    if (supported.length === 0) throw new DomainError('value.invalid', 'no supported protocol versions configured');
    return ProtocolVersion.of(supported.includes(requested) ? requested : supported[0]);
  }

  toString(): string {
    return this.value;
  }
}

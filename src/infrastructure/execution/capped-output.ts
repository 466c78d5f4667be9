import { StringDecoder } from 'node:string_decoder';

/** Keeps at most `limit` bytes of a stream and counts the rest, so a chatty child cannot exhaust memory. */
export class CappedOutput {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private dropped = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    const room = this.limit - this.kept;
    if (room >= chunk.length) {
      this.chunks.push(chunk);
      this.kept += chunk.length;
      return;
    }
    if (room > 0) {
      this.chunks.push(chunk.subarray(0, room));
      this.kept += room;
    }
    this.dropped += chunk.length - Math.max(room, 0);
  }

  get truncated(): boolean {
    return this.dropped > 0;
  }

  text(): string {
    const bytes = Buffer.concat(this.chunks, this.kept);
    // write() without end() holds back a multibyte character cut at the cap instead of emitting U+FFFD.
    return this.truncated ? new StringDecoder('utf8').write(bytes) : bytes.toString('utf8');
  }
}

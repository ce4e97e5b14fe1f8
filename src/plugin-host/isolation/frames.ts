import { deserialize, serialize } from 'node:v8';

/**
 * The wire between the server and a plugin's child process: each message is a 4-byte big-endian
 * length followed by a V8 structured-clone payload (the same data model the worker port used). The
 * reader checks the length BEFORE buffering, so a child that announces or sends an oversize message
 * is refused without the server ever holding it in memory.
 */

export function encodeFrame(message: unknown): Buffer {
  const body = serialize(message);
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}

export class FrameTooLargeError extends Error {
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`sent a message of ${bytes} bytes (limit ${limit})`);
  }
}

/** Feeds chunks in, calls `onMessage` per complete frame; throws FrameTooLargeError or a parse error. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private need = -1;

  constructor(
    private readonly maxBytes: number,
    private readonly onMessage: (message: unknown) => void,
  ) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < 4) return;
        this.need = this.take(4).readUInt32BE(0);
        if (this.need > this.maxBytes) throw new FrameTooLargeError(this.need, this.maxBytes);
      }
      if (this.buffered < this.need) return;
      const body = this.take(this.need);
      this.need = -1;
      this.onMessage(deserialize(body));
    }
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }
}

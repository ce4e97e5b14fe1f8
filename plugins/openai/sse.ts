import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';

/**
 * Incremental parser of text/event-stream: feed it bytes as they arrive (split anywhere, even inside a
 * UTF-8 character or a CRLF) and it returns the `data` of every event completed so far. Only `data`
 * matters for OpenAI-style streams; `event`, `id`, `retry` and comment lines are skipped.
 */
export class SseParser {
  private readonly decoder = new StringDecoder('utf8');
  private buffer = '';
  private data: string[] = [];
  /** A chunk ended with '\r': a '\n' starting the next one belongs to the same line ending. */
  private pendingCr = false;

  push(chunk: Buffer | string): string[] {
    let text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = text.endsWith('\r');
    this.buffer += text;
    const events: string[] = [];
    let start = 0;
    for (;;) {
      const lf = this.buffer.indexOf('\n', start);
      const cr = this.buffer.indexOf('\r', start);
      const end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      if (end === -1) break;
      this.line(this.buffer.slice(start, end), events);
      start = end + (this.buffer[end] === '\r' && this.buffer[end + 1] === '\n' ? 2 : 1);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /** The end of the stream: an event still open (no blank line after it) is completed. */
  end(): string[] {
    const events: string[] = [];
    const rest = this.buffer + this.decoder.end();
    this.buffer = '';
    if (rest) this.line(rest, events);
    if (this.data.length) events.push(this.data.join('\n'));
    this.data = [];
    return events;
  }

  private line(line: string, events: string[]): void {
    if (line === '') {
      if (this.data.length) events.push(this.data.join('\n'));
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    if (field !== 'data') return;
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    this.data.push(value);
  }
}

/**
 * The `data` of each server-sent event of a response body, as it arrives. Stopping early (return or
 * throw in the consumer) destroys the body, so a half-read response never goes back to the pool.
 */
export async function* sseData(body: Readable): AsyncGenerator<string> {
  const parser = new SseParser();
  let finished = false;
  try {
    for await (const chunk of body) for (const data of parser.push(chunk as Buffer)) yield data;
    finished = true;
    for (const data of parser.end()) yield data;
  } finally {
    if (!finished) body.destroy();
  }
}

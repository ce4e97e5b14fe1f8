import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_HEADER, verify } from './signature.ts';

/**
 * The inbound side: `POST /webhook/rooms/<roomId>` with JSON `{text, id?, sender?}`, signed with the
 * shared secret. A verified request is handed to `onMessage`; its answer decides the status (202
 * posted, 404 unknown room). `id` makes a retried request idempotent downstream.
 */

export interface InboundMessage {
  roomId: string;
  text: string;
  /** The sender's own id for this message (used as clientMessageId). */
  id?: string;
  sender?: string;
}

export interface InboundOptions {
  secret: string;
  host?: string;
  port?: number;
  maxBodyBytes?: number;
  toleranceS?: number;
  onMessage(message: InboundMessage): Promise<{ status: number; body?: unknown }>;
}

export interface InboundServer {
  url: string;
  close(): Promise<void>;
}

export async function startInbound(o: InboundOptions): Promise<InboundServer> {
  const max = o.maxBodyBytes ?? 64 * 1024;
  const server: Server = createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const match = /^\/webhook\/rooms\/([A-Za-z0-9-]{1,64})$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match) return reply(404, { error: 'POST /webhook/rooms/<roomId>' });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        reply(413, { error: `body over ${max} bytes` });
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', async () => {
      if (size > max) return;
      const raw = Buffer.concat(chunks).toString('utf8');
      const check = verify(o.secret, req.headers[SIGNATURE_HEADER] as string | undefined, raw, Date.now(), o.toleranceS);
      if (!check.ok) return reply(401, { error: check.reason });
      let body: { text?: unknown; id?: unknown; sender?: unknown };
      try {
        body = JSON.parse(raw);
      } catch {
        return reply(400, { error: 'body is not JSON' });
      }
      if (typeof body.text !== 'string' || !body.text.trim()) return reply(400, { error: 'text: a non-empty string is required' });
      try {
        const out = await o.onMessage({
          roomId: match[1]!,
          text: body.text,
          id: typeof body.id === 'string' ? body.id : undefined,
          sender: typeof body.sender === 'string' ? body.sender : undefined,
        });
        reply(out.status, out.body ?? {});
      } catch (err) {
        reply(502, { error: (err as Error).message });
      }
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(o.port ?? 0, o.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

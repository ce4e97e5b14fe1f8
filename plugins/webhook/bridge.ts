import WebSocket from 'ws';
import { startInbound, type InboundServer } from './inbound.ts';
import { DeliveryQueue, type DeliveryOptions } from './outbound.ts';

/**
 * The webhook client: an external system on one side, Chronicle's public API on the other (it holds
 * no privileges the API does not give its account). Inbound signed requests become messages posted to
 * the room (REST, idempotent by the sender's id); agents' replies in the account's rooms arrive on the
 * /ws socket and are delivered to the outbound URL through the retrying DeliveryQueue.
 */

export interface BridgeOptions {
  chronicleUrl: string;
  username: string;
  password: string;
  /** Shared secret for inbound signatures (and outbound, unless outboundSecret is set). */
  secret: string;
  inboundHost?: string;
  inboundPort?: number;
  outboundUrl?: string;
  outboundSecret?: string;
  delivery?: Omit<Partial<DeliveryOptions>, 'url' | 'secret'>;
  reconnectMs?: number;
}

export interface WebhookBridge {
  inbound: InboundServer;
  queue: DeliveryQueue | undefined;
  /** Resolves once the socket is subscribed to the room (rooms joined later are added on first use). */
  watch(roomId: string): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookBridge(o: BridgeOptions): Promise<WebhookBridge> {
  const base = o.chronicleUrl.replace(/\/$/, '');
  let token = '';
  const login = async () => {
    const res = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: o.username, password: o.password }),
    });
    if (!res.ok) throw new Error(`webhook: login as ${o.username} failed (${res.status})`);
    token = ((await res.json()) as { accessToken: string }).accessToken;
  };
  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(base + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      // Access tokens expire: log in again once.
      if (res.status === 401 && attempt === 0) {
        await login();
        continue;
      }
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : {} };
    }
  };
  await login();

  const queue = o.outboundUrl ? new DeliveryQueue({ ...o.delivery, url: o.outboundUrl, secret: o.outboundSecret ?? o.secret }) : undefined;
  const rooms = new Map<string, number>(); // roomId → last seq seen (resubscribe after it on reconnect)
  const delivered = new Set<string>();
  const waiters = new Map<string, () => void>();
  let ws: WebSocket | undefined;
  let closed = false;

  const subscribe = (roomId: string) =>
    ws?.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ type: 'subscribe', roomId, ...(rooms.get(roomId) ? { afterSeq: rooms.get(roomId) } : {}) }));
  const connect = () => {
    if (closed) return;
    const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(token)}`);
    ws = socket;
    socket.on('open', () => rooms.forEach((_seq, roomId) => subscribe(roomId)));
    socket.on('message', (data) => {
      const f = JSON.parse(data.toString()) as Record<string, any>;
      if (f.type === 'subscribed') waiters.get(f.roomId)?.();
      if (f.type !== 'message' || !f.message) return;
      const m = f.message as { id: string; seq: number; roomId: string; authorKind: string };
      rooms.set(m.roomId, Math.max(rooms.get(m.roomId) ?? 0, m.seq));
      if (m.authorKind !== 'agent' || delivered.has(m.id)) return;
      delivered.add(m.id);
      queue?.deliver(m.id, { type: 'message', message: f.message });
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (!closed) setTimeout(() => void login().then(connect, connect), o.reconnectMs ?? 1_000);
    });
  };

  /** Subscribes to a room's messages after `afterSeq`; resolves when confirmed (or after 5 s, never hangs). */
  const watch = (roomId: string, afterSeq = 0) =>
    new Promise<void>((resolve) => {
      if (rooms.has(roomId)) return resolve();
      rooms.set(roomId, afterSeq);
      const timer = setTimeout(() => (waiters.delete(roomId), resolve()), 5_000);
      waiters.set(roomId, () => (clearTimeout(timer), waiters.delete(roomId), resolve()));
      subscribe(roomId);
    });

  connect();
  await new Promise<void>((resolve, reject) => (ws!.once('open', () => resolve()), ws!.once('error', reject)));
  const mine = await api('GET', '/api/v1/rooms');
  await Promise.all(((mine.json.rooms ?? []) as { id: string }[]).map((r) => watch(r.id)));

  const inbound = await startInbound({
    secret: o.secret,
    host: o.inboundHost,
    port: o.inboundPort,
    async onMessage(m) {
      const r = await api('POST', '/api/v1/messages', { roomId: m.roomId, text: m.text, ...(m.id ? { clientMessageId: m.id } : {}) });
      if (r.status !== 202) return { status: r.status === 404 ? 404 : 502, body: { error: r.json?.error?.message ?? `Chronicle answered ${r.status}` } };
      // A room new to the bridge: subscribe from just before this message, so its reply is not missed.
      await watch(m.roomId, Math.max(0, Number(r.json.message.seq ?? 1) - 1));
      return { status: 202, body: { messageId: r.json.message.id } };
    },
  });

  return {
    inbound,
    queue,
    watch,
    async close() {
      closed = true;
      ws?.close(1000);
      await inbound.close();
      await queue?.idle();
    },
  };
}

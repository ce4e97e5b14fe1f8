import type { ServerFrame } from './types.ts';

export type ConnectionStatus = 'connecting' | 'online' | 'reconnecting' | 'offline';

export interface SocketOptions {
  /** The access token to connect with; `refresh` is true after the server refused the last one. */
  token: (refresh: boolean) => Promise<string | undefined>;
  url?: string;
  /** Backoff: first delay and cap in ms (doubling, with jitter). */
  minDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * The /ws connection. It reconnects with exponential backoff and, on every (re)connect, subscribes
 * again to each room with `afterSeq` = the last seq seen in that room, so the server replays what was
 * missed while offline: no message is lost across a drop.
 */
export class ChatSocket {
  private ws: WebSocket | undefined;
  private readonly lastSeq = new Map<string, number>();
  private readonly frameListeners = new Set<(f: ServerFrame) => void>();
  private readonly statusListeners = new Set<(s: ConnectionStatus) => void>();
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private pinger: ReturnType<typeof setInterval> | undefined;
  private renewer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private refreshNext = false;
  status: ConnectionStatus = 'connecting';

  constructor(private readonly opts: SocketOptions) {
    void this.connect();
  }

  onFrame(fn: (f: ServerFrame) => void): () => void {
    this.frameListeners.add(fn);
    return () => this.frameListeners.delete(fn);
  }

  onStatus(fn: (s: ConnectionStatus) => void): () => void {
    this.statusListeners.add(fn);
    fn(this.status);
    return () => this.statusListeners.delete(fn);
  }

  /** Follow a room from `afterSeq` (the last message the page already shows). */
  subscribe(roomId: string, afterSeq: number): void {
    const known = this.lastSeq.get(roomId);
    if (known === undefined || afterSeq > known) this.lastSeq.set(roomId, afterSeq);
    this.sendSubscribe(roomId);
  }

  unsubscribe(roomId: string): void {
    this.lastSeq.delete(roomId);
    this.sendFrame({ type: 'unsubscribe', roomId });
  }

  /** Drops the connection as a network failure would (used by tests and the "reconnect" button). */
  drop(): void {
    this.ws?.close(4000, 'dropped by client');
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    clearTimeout(this.renewer);
    this.ws?.close(1000, 'bye');
    this.setStatus('offline');
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const token = await this.opts.token(this.refreshNext);
    this.refreshNext = false;
    if (!token) {
      this.close();
      return;
    }
    const base = this.opts.url ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    const ws = new WebSocket(`${base}?token=${encodeURIComponent(token)}`);
    this.ws = ws;
    ws.onopen = () => {
      // Online only once the server answers (a refused token is an open socket closed with 4401 at once).
      this.sendFrame({ type: 'ping' });
      for (const roomId of this.lastSeq.keys()) this.sendSubscribe(roomId);
      clearInterval(this.pinger);
      this.pinger = setInterval(() => this.sendFrame({ type: 'ping' }), 25_000);
      this.renewBeforeExpiry(ws, token);
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      this.attempt = 0;
      this.setStatus('online');
      if (typeof ev.data !== 'string') return;
      let frame: ServerFrame;
      try {
        frame = JSON.parse(ev.data) as ServerFrame;
      } catch {
        return;
      }
      if (frame.type === 'message') {
        const m = frame.message;
        if (m.seq > (this.lastSeq.get(m.roomId) ?? 0)) this.lastSeq.set(m.roomId, m.seq);
      }
      for (const fn of this.frameListeners) fn(frame);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      clearInterval(this.pinger);
      clearTimeout(this.renewer);
      this.ws = undefined;
      if (this.closed) return;
      // 4401: the token was refused (expired): refresh it before trying again.
      if (ev.code === 4401) this.refreshNext = true;
      this.setStatus('reconnecting');
      const min = this.opts.minDelayMs ?? 500;
      const max = this.opts.maxDelayMs ?? 15_000;
      const delay = Math.min(max, min * 2 ** this.attempt) * (0.75 + Math.random() * 0.5);
      this.attempt++;
      this.timer = setTimeout(() => void this.connect(), delay);
    };
  }

  /**
   * The server closes a socket when its access token expires (4401). Shortly before, a refreshed token
   * is presented on the open socket instead, so a long chat is not cut (and streamed replies not lost).
   */
  private renewBeforeExpiry(ws: WebSocket, token: string): void {
    clearTimeout(this.renewer);
    const left = tokenExpiresAt(token) - Date.now();
    if (!Number.isFinite(left)) return;
    this.renewer = setTimeout(
      async () => {
        const fresh = await this.opts.token(true);
        if (!fresh || this.ws !== ws || ws.readyState !== WebSocket.OPEN) return;
        ws.send(JSON.stringify({ type: 'auth', token: fresh }));
        this.renewBeforeExpiry(ws, fresh);
      },
      Math.max(0, left - Math.min(30_000, left / 4)),
    );
  }

  private sendSubscribe(roomId: string): void {
    const afterSeq = this.lastSeq.get(roomId) ?? 0;
    this.sendFrame({ type: 'subscribe', roomId, afterSeq });
  }

  private sendFrame(frame: object): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  private setStatus(s: ConnectionStatus): void {
    if (this.status === s) return;
    this.status = s;
    for (const fn of this.statusListeners) fn(s);
  }
}

/** The `exp` of an access token (a JWT) in ms, for scheduling its renewal only; Infinity when unreadable. */
export function tokenExpiresAt(token: string): number {
  try {
    const part = token.split('.')[1] ?? '';
    const json = atob(
      part
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(part.length / 4) * 4, '='),
    );
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : Infinity;
  } catch {
    return Infinity;
  }
}

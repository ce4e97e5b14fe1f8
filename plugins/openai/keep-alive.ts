/**
 * The fetch the OpenAI SDK calls: Node's own fetch with a keep-alive pool tuned for model servers —
 * idle sockets kept 30 s (undici's default is 4 s, so a room answering every few seconds reconnected,
 * and over TLS paid a handshake per reply) and at most 64 connections per origin, as the hand-written
 * client had. The pool is an Agent of the very undici that runs Node's fetch: its class is read off the
 * global dispatcher (Node does not export it, and an Agent of another undici copy would not fit).
 * Before Node's fetch has run once there is no global dispatcher yet: those first calls use the default
 * pool.
 */
type Dispatcher = { close(): Promise<void> };
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

export const KEEP_ALIVE = { keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000, connections: 64 } as const;

export class KeepAliveFetch {
  private agent: Dispatcher | undefined;
  private closed = false;

  readonly fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const dispatcher = this.pool();
    return fetch(input, dispatcher ? ({ ...init, dispatcher } as RequestInit) : init);
  };

  private pool(): Dispatcher | undefined {
    if (this.agent || this.closed) return this.agent;
    const global = (globalThis as Record<symbol, unknown>)[GLOBAL_DISPATCHER] as { constructor: new (o: object) => Dispatcher } | undefined;
    if (global && typeof global.constructor === 'function') this.agent = new global.constructor(KEEP_ALIVE);
    return this.agent;
  }

  /** Frees the pool's sockets. */
  async close(): Promise<void> {
    this.closed = true;
    await this.agent?.close().catch(() => {});
    this.agent = undefined;
  }
}

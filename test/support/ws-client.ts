import WebSocket from 'ws';

/** A WebSocket test client: frames queue up; `next(pred)` waits (bounded) for the next matching one. */
export interface TestSocket {
  ws: WebSocket;
  frames: any[];
  next(pred?: (f: any) => boolean, timeoutMs?: number): Promise<any>;
  send(frame: unknown): void;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

export function connectWs(url: string, token?: string, opts: { maxPayload?: number } = {}): Promise<TestSocket> {
  const ws = new WebSocket(token ? `${url}?token=${encodeURIComponent(token)}` : url, { maxPayload: opts.maxPayload });
  const frames: any[] = [];
  let waiters: { pred: (f: any) => boolean; resolve: (f: any) => void }[] = [];
  const consumed = new Set<number>();
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('message', (data) => {
    const f = JSON.parse(data.toString());
    frames.push(f);
    const w = waiters.find((x) => x.pred(f));
    if (w) {
      waiters = waiters.filter((x) => x !== w);
      consumed.add(frames.length - 1);
      w.resolve(f);
    }
  });
  ws.on('error', () => undefined);
  const socket: TestSocket = {
    ws,
    frames,
    next(pred = () => true, timeoutMs = 5000) {
      // Frames already received but not yet consumed count too.
      for (let i = 0; i < frames.length; i++) {
        if (!consumed.has(i) && pred(frames[i])) {
          consumed.add(i);
          return Promise.resolve(frames[i]);
        }
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames.slice(-5))}`)), timeoutMs);
        waiters.push({ pred, resolve: (f) => (clearTimeout(timer), resolve(f)) });
      });
    },
    send: (frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    closed,
    close: () => ws.close(),
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(socket));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

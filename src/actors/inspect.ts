import type { InspectionEvent } from 'xstate';
import type { Logger } from '../shared/logger.ts';
import type { Inspector } from './runtime.ts';

/**
 * XState's inspection API, fanned out: every actor the system creates reports to `inspect`, which
 * forwards to any number of observers (tests, the @statelyai/inspect WebSocket inspector).
 */
export function createInspectionHub(): { inspect: Inspector; add(observer: Inspector): () => void } {
  const observers = new Set<Inspector>();
  return {
    inspect: (event: InspectionEvent) => {
      for (const o of observers) {
        try {
          o(event);
        } catch {
          // An inspector must never break the actor it watches.
        }
      }
    },
    add(observer) {
      observers.add(observer);
      return () => observers.delete(observer);
    },
  };
}

/**
 * Starts an inspection relay on 127.0.0.1:port and connects the system to it with @statelyai/inspect's
 * WebSocket inspector. The relay speaks the protocol of @statelyai/inspect's own bridge (every message
 * from one client goes to all the others, the last 200 replayed to newcomers) but, unlike that bridge,
 * listens on loopback only: actor snapshots hold conversation state. Any WebSocket client — e.g.
 * `createWebSocketReceiver({ server: 'ws://127.0.0.1:<port>' })` from @statelyai/inspect — sees every
 * actor event. Only when INSPECT=true: it is a developer tool.
 */
export async function startStatelyInspector(
  port: number,
  logger: Logger,
  host = '127.0.0.1',
): Promise<{ inspect: Inspector; stop(): Promise<void>; port: number }> {
  const { WebSocketServer, WebSocket } = await import('ws');
  const { createWebSocketInspector } = await import('@statelyai/inspect');
  const wss = new WebSocketServer({ host, port });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const bound = (wss.address() as { port: number }).port;
  const buffer: string[] = [];
  wss.on('connection', (ws) => {
    for (const msg of buffer) ws.send(msg);
    ws.on('message', (data) => {
      const msg = data.toString();
      buffer.push(msg);
      if (buffer.length > 200) buffer.shift();
      for (const client of wss.clients) if (client !== ws && client.readyState === WebSocket.OPEN) client.send(msg);
    });
  });
  const inspector = createWebSocketInspector({ url: `ws://${host}:${bound}` });
  logger.info('XState inspection relay listening', { url: `ws://${host}:${bound}` });
  return {
    port: bound,
    inspect: (event) => inspector.inspect.next?.(event),
    stop: async () => {
      inspector.stop();
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

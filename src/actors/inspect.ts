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
 * Starts @statelyai/inspect's local bridge (a WebSocket + HTTP server on 127.0.0.1:port) and connects
 * the system to it. Only when INSPECT=true: it is a developer tool.
 */
export async function startStatelyInspector(port: number, logger: Logger): Promise<{ inspect: Inspector; stop(): void }> {
  const { createInspectorServer } = await import('@statelyai/inspect/server');
  const { createWebSocketInspector } = await import('@statelyai/inspect');
  const server = createInspectorServer({ port, autoOpen: false });
  const inspector = createWebSocketInspector({ url: `ws://127.0.0.1:${port}` });
  logger.info('XState inspector bridge listening', { url: `http://127.0.0.1:${port}` });
  return {
    inspect: (event) => inspector.inspect.next?.(event),
    stop: () => {
      inspector.stop();
      server.stop();
    },
  };
}

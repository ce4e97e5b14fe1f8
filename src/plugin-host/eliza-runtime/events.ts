import { withDeadline } from '../../shared/deadline.ts';
import { errText } from '../../shared/errors.ts';
import type { ElizaRuntime, ElizaRuntimeParts } from './types.ts';

const HANDLER_TIMEOUT_MS = 30_000;

/**
 * ElizaOS events on an agent: `emitEvent` reaches every handler of every plugin of the agent (declared
 * in `plugin.events` or added with `registerEvent`), one after the other. Payloads are ElizaOS's
 * (`{ runtime, message, source, callback, … }`); a payload without `runtime` gets the plugin's own view.
 * A handler that throws or hangs is a plugin failure (plugin.failed), never the caller's failure.
 */
/**
 * The live parts of a payload (runtime, callback) as non-enumerable properties: a handler reads
 * `payload.runtime` as in ElizaOS, while copying or serialising the payload (an isolated plugin's worker
 * gets it as JSON) carries only its data.
 */
export function withLiveParts<T extends Record<string, unknown>>(data: T, live: Record<string, unknown>): T {
  for (const [key, value] of Object.entries(live))
    if (value !== undefined) Object.defineProperty(data, key, { value, enumerable: false, configurable: true, writable: true });
  return data;
}

export function eventMethods(parts: ElizaRuntimeParts, self: () => ElizaRuntime, currentPlugin: () => string) {
  return {
    async emitEvent(event: string | string[], params: Record<string, unknown> | undefined): Promise<void> {
      for (const name of Array.isArray(event) ? event : [event]) {
        for (const { plugin, handler } of parts.host.eventHandlers(name)) {
          try {
            const payload = withLiveParts(
              { ...(params ?? {}) },
              { runtime: (params?.runtime as unknown) ?? self().forPlugin(plugin), callback: params?.callback, onComplete: params?.onComplete },
            );
            await withDeadline(handler(payload), HANDLER_TIMEOUT_MS, () => `${plugin} ${name} handler did not finish within ${HANDLER_TIMEOUT_MS} ms`);
          } catch (err) {
            parts.onPluginFailure({ plugin, component: `event:${name}`, error: errText(err) });
          }
        }
      }
    },
    registerEvent(event: string, handler: (params: any) => Promise<void>): void {
      if (typeof event !== 'string' || typeof handler !== 'function') throw new TypeError('registerEvent(event, handler): a name and a function');
      parts.host.register(currentPlugin(), { event, handler });
    },
    getEvent(event: string) {
      const list = parts.host.eventHandlers(event).map((h) => h.handler as (params: any) => Promise<void>);
      return list.length ? list : undefined;
    },
  };
}

import { ModelError } from '../../models/provider.ts';
import type { ElizaRuntime, ElizaRuntimeParts } from './types.ts';

const TEXT_TYPES: Record<string, 'TEXT_SMALL' | 'TEXT_LARGE'> = {
  TEXT_SMALL: 'TEXT_SMALL',
  TEXT_LARGE: 'TEXT_LARGE',
  TEXT_REASONING_SMALL: 'TEXT_SMALL',
  TEXT_REASONING_LARGE: 'TEXT_LARGE',
  TEXT_COMPLETION: 'TEXT_LARGE',
};

const promptOf = (params: unknown): string =>
  typeof params === 'string'
    ? params
    : params && typeof params === 'object'
      ? String((params as { prompt?: unknown; text?: unknown }).prompt ?? (params as { text?: unknown }).text ?? '')
      : '';

/**
 * `useModel(type, params)` as ElizaOS dispatches it: a plugin's registered handler for the type first
 * (plugin.models / registerModel, by priority), otherwise Chronicle's own models by type —
 * TEXT_EMBEDDING → the agent's embedder (number[]), OBJECT_SMALL/LARGE → structured generation (the
 * parsed object), TEXT_* → the agent's model (text). Any other type with no handler is an error naming it.
 */
export function modelMethods(parts: ElizaRuntimeParts, self: () => ElizaRuntime, currentPlugin: () => string) {
  const pluginHandler = (type: string) => parts.host.modelHandler(type);
  return {
    async useModel(type: string, params?: unknown, _provider?: string): Promise<any> {
      const handler = pluginHandler(type);
      if (handler) return handler.handler(self().forPlugin(handler.plugin), (params ?? {}) as Record<string, unknown>);
      if (type === 'TEXT_EMBEDDING') {
        // Batch form ({ texts }) as ElizaOS 1.7 handlers accept it: one vector per text.
        const texts = (params as { texts?: unknown } | null)?.texts;
        if (Array.isArray(texts)) return (await parts.embedder().embed(texts.map(String))).map((v) => Array.from(v));
        // ElizaOS asks with `null` to learn the dimension: a zero vector of the embedder's size.
        const text = promptOf(params);
        const [v] = await parts.embedder().embed([text || ' ']);
        return text ? Array.from(v) : new Array<number>(v.length).fill(0);
      }
      if (type === 'OBJECT_SMALL' || type === 'OBJECT_LARGE') {
        const p = (params ?? {}) as { prompt?: string; schema?: Record<string, unknown>; temperature?: number; maxTokens?: number };
        const r = await parts.textProvider().generateObject({
          modelType: type,
          messages: [{ role: 'user', content: promptOf(p) }],
          schema: p.schema && typeof p.schema === 'object' ? p.schema : { type: 'object' },
          ...(typeof p.temperature === 'number' ? { temperature: p.temperature } : {}),
          ...(typeof p.maxTokens === 'number' ? { maxTokens: p.maxTokens } : {}),
          ...(parts.signal ? { signal: parts.signal } : {}),
        });
        return r.object;
      }
      const mapped = TEXT_TYPES[type];
      if (mapped) {
        const same = pluginHandler(mapped);
        if (same) return same.handler(self().forPlugin(same.plugin), (params ?? {}) as Record<string, unknown>);
        const p = (typeof params === 'string' ? { prompt: params } : (params ?? {})) as Record<string, unknown>;
        return parts.base.useModel(mapped, {
          prompt: promptOf(p),
          ...(Array.isArray(p.messages) ? { messages: p.messages as never } : {}),
          ...(typeof p.maxTokens === 'number' ? { maxTokens: p.maxTokens } : {}),
          ...(typeof p.temperature === 'number' ? { temperature: p.temperature } : {}),
          ...(Array.isArray(p.stopSequences) ? { stopSequences: p.stopSequences as string[] } : {}),
        });
      }
      throw new ModelError(
        'unsupported',
        `no plugin of agent ${parts.base.character.name} handles model type ${type} (Chronicle itself answers TEXT_*, OBJECT_* and TEXT_EMBEDDING)`,
        'runtime',
        false,
      );
    },
    registerModel(type: string, handler: (runtime: any, params: Record<string, unknown>) => Promise<unknown>, _provider: string, priority?: number): void {
      if (typeof handler !== 'function') throw new TypeError(`registerModel(${type}): handler must be a function`);
      parts.host.register(currentPlugin(), { model: type, handler, priority });
    },
    getModel(type: string) {
      const h = pluginHandler(type);
      return h && ((runtime: any, params: Record<string, unknown>) => Promise.resolve(h.handler(runtime, params)));
    },
  };
}

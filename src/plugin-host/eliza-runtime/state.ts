import type { Memory, Provider, State } from '../types.ts';
import type { ElizaRuntime, ElizaRuntimeParts } from './types.ts';

const PROVIDER_TIMEOUT_MS = 10_000;

/**
 * ElizaOS `composeState(message, includeList?, onlyInclude?)`: runs the agent's providers and returns
 * `{ values, data, text }` — by default every provider that is neither dynamic nor private, plus those
 * named in includeList; with onlyInclude, just the named ones. In `position` order; a failing provider
 * is a plugin failure and is left out. `data.providers[NAME]` holds each result, as in ElizaOS.
 */
export function stateMethods(parts: ElizaRuntimeParts, self: () => ElizaRuntime) {
  return {
    async composeState(message: Memory, includeList?: string[] | null, onlyInclude = false): Promise<State & { data: { providers: Record<string, unknown> } }> {
      const named = new Set((includeList ?? []).map((n) => n.toUpperCase()));
      const selected = parts.host
        .providers()
        .filter((p: Provider) => (onlyInclude && named.size ? named.has(p.name.toUpperCase()) : named.has(p.name.toUpperCase()) || (!p.dynamic && !p.private)));
      const empty: State = { values: {}, data: {}, text: '' };
      const results = await Promise.all(
        selected.map(async (p) => {
          let timer: NodeJS.Timeout | undefined;
          try {
            const plugin = parts.host.pluginOf(p);
            const r = await Promise.race([
              Promise.resolve(p.get(self().forPlugin(plugin), message, empty)),
              new Promise<never>(
                (_, reject) =>
                  (timer = setTimeout(() => reject(new Error(`provider ${p.name} did not finish within ${PROVIDER_TIMEOUT_MS} ms`)), PROVIDER_TIMEOUT_MS)),
              ),
            ]);
            return { name: p.name, text: r?.text ?? '', values: r?.values ?? {}, data: r?.data ?? {} };
          } catch (err) {
            parts.onPluginFailure({
              plugin: parts.host.pluginOf(p),
              component: `provider:${p.name}`,
              error: (err instanceof Error ? err.message : String(err)).slice(0, 500),
            });
            return undefined;
          } finally {
            clearTimeout(timer);
          }
        }),
      );
      const ok = results.filter((r): r is NonNullable<typeof r> => r !== undefined);
      const text = ok
        .map((r) => r.text)
        .filter(Boolean)
        .join('\n\n');
      return {
        values: { ...Object.assign({}, ...ok.map((r) => r.values)), providers: text },
        data: { providers: Object.fromEntries(ok.map((r) => [r.name, r])) },
        text,
      };
    },
    getConversationLength(): number {
      return parts.conversationLength;
    },
  };
}

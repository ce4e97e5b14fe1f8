import type { Memory, Provider, State } from '../types.ts';
import { withDeadline } from '../../shared/deadline.ts';
import { errText } from '../../shared/errors.ts';
import type { PluginHost } from '../host.ts';
import type { ElizaRuntime, ElizaRuntimeParts, PluginFailure } from './types.ts';

/** Bound on one provider's `get`: a provider never hangs a turn or a composeState. */
export const PROVIDER_TIMEOUT_MS = 10_000;

export interface ProviderResult {
  name: string;
  text: string;
  values: Record<string, unknown>;
  data: Record<string, unknown>;
}

/**
 * Runs `providers` in parallel, each with its plugin's view of the runtime and bounded by
 * PROVIDER_TIMEOUT_MS: for composeState and for a turn's retrieval (src/actors/turn/retrieve.ts). One
 * that throws or hangs is reported as a plugin failure and left out; the others keep their order.
 */
export async function runProviders(
  host: PluginHost,
  runtime: ElizaRuntime,
  message: Memory,
  providers: readonly Provider[],
  onFailure: (failure: PluginFailure) => void,
): Promise<ProviderResult[]> {
  const empty: State = { values: {}, data: {}, text: '' };
  const results = await Promise.all(
    providers.map(async (p): Promise<ProviderResult | undefined> => {
      const plugin = host.pluginOf(p);
      try {
        const r = await withDeadline(
          p.get(runtime.forPlugin(plugin), message, empty),
          PROVIDER_TIMEOUT_MS,
          () => `provider ${p.name} did not finish within ${PROVIDER_TIMEOUT_MS} ms`,
        );
        // A plugin's answer, coerced: its name and text reach a turn's trusted append (reply.traced).
        return { name: String(p.name), text: String(r?.text ?? ''), values: r?.values ?? {}, data: r?.data ?? {} };
      } catch (err) {
        onFailure({ plugin, component: `provider:${p.name}`, error: errText(err) });
        return undefined;
      }
    }),
  );
  return results.filter((r): r is ProviderResult => r !== undefined);
}

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
      const ok = await runProviders(parts.host, self(), message, selected, parts.onPluginFailure);
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

import type { Embedder } from '../../models/embedder.ts';
import type { ElizaRuntime, PluginFailure } from '../../plugin-host/eliza-runtime/index.ts';
import { runProviders } from '../../plugin-host/eliza-runtime/state.ts';
import type { PluginHost } from '../../plugin-host/host.ts';
import type { Memory, PluginRuntime, State } from '../../plugin-host/types.ts';
import { errText, withTimeout } from './limits.ts';
import type { ProviderOutput } from './prompt.ts';
import type { TurnDeps } from './turn-deps.ts';
import type { AgentTurn, Retrieval } from './turn-state.ts';

/**
 * Retrieval reads the indexes (the projections), never the message or the character: it waits until
 * they have folded the log up to the message (src/actors/README.md, "Where retrieval reads").
 * Whether the agent has documents is read once per turn: with none there is nothing to embed the
 * message for and nothing to search (the KNOWLEDGE provider skips its query).
 */
export async function retrieve(turn: AgentTurn): Promise<void> {
  await turn.indexesAtMessage();
  turn.retrieval.hasKnowledge = turn.deps.readModel.listDocuments(turn.agentId).length > 0;
  if (turn.retrieval.hasKnowledge) turn.retrieval.vector = await embedForKnowledge(turn.deps, turn.embedder(), turn.agentId, turn.message.text);
}

/**
 * The message's embedding for knowledge search (called only when the agent has documents). A slow or
 * failing embedder does not fail the turn: retrieval falls back to text (BM25) alone.
 */
async function embedForKnowledge(deps: TurnDeps, embedder: Embedder, agentId: string, text: string): Promise<Float32Array | undefined> {
  try {
    const [v] = await withTimeout(embedder.embed([text]), 5_000, 'embedding');
    return v;
  } catch (err) {
    deps.logger.debug('message embedding for retrieval failed; using text search only', { agentId, error: errText(err) });
    return undefined;
  }
}

/** The index queries plugins' providers make during a turn (recent messages, knowledge, facts). */
export function turnQueries(
  deps: TurnDeps,
  agentId: string,
  agentName: string,
  participants: readonly { id: string; name: string }[],
  retrieval: Retrieval,
  indexesAtMessage: () => Promise<void>,
): PluginRuntime['queries'] {
  const rm = deps.readModel;
  const names = new Map<string, string>();
  const nameOf = (id: string, kind: string) => {
    if (!names.has(id))
      names.set(id, id === agentId ? agentName : (participants.find((p) => p.id === id)?.name ?? rm.accountById(id)?.name ?? rm.agentById(id)?.name ?? kind));
    return names.get(id)!;
  };
  return {
    async recentMessages(roomId, limit, beforeSeq) {
      await indexesAtMessage();
      return rm
        .listMessages(roomId, { beforeSeq, limit })
        .map((m) => ({ id: m.id, authorId: m.authorId, authorKind: m.authorKind, authorName: nameOf(m.authorId, m.authorKind), text: m.text, seq: m.seq }));
    },
    async knowledge(text, k) {
      if (!retrieval.hasKnowledge) return [];
      await indexesAtMessage();
      const { vector } = retrieval;
      return rm
        .searchKnowledge(agentId, { text, k, ...(vector ? { vector } : {}) })
        .map((h) => ({ chunkId: h.chunkId, documentId: h.documentId, title: h.title, text: h.text, score: h.score }));
    },
    async facts(roomId, text, limit) {
      // The facts most relevant to the message first, then the latest ones: a question like "what do
      // you know about me?" shares no words with the facts that answer it.
      // The latest first: when there are none, no fact can be relevant either and the hybrid search
      // (FTS + vector, the costlier query) is skipped — most turns of most agents have no facts.
      await indexesAtMessage();
      const latestAll = rm.facts(agentId, { roomId, limit });
      if (latestAll.length === 0) return [];
      const { vector } = retrieval;
      const relevant = text ? rm.facts(agentId, { roomId, query: { text, k: limit, ...(vector ? { vector } : {}) }, limit }) : [];
      const seen = new Set(relevant.map((f) => f.id));
      const latest = latestAll.filter((f) => !seen.has(f.id));
      return [...relevant, ...latest].slice(0, limit).map((f) => ({ id: f.id, text: f.text }));
    },
  };
}

/**
 * ElizaOS composeState: by default every provider that is neither dynamic nor private, in parallel,
 * in `position` order; with `only`, just the named ones (how dynamic and private providers run).
 */
export async function composeProviders(
  host: PluginHost,
  runtime: ElizaRuntime,
  memory: Memory,
  failures: PluginFailure[],
  only?: readonly string[],
): Promise<ProviderOutput[]> {
  const wanted = only && new Set(only.map((n) => n.toUpperCase()));
  const selected = host.providers().filter((p) => (wanted ? wanted.has(p.name.toUpperCase()) : !p.dynamic && !p.private));
  return runProviders(host, runtime, memory, selected, (f) => failures.push(f));
}

/** The state actions and evaluators see: the providers' values, data and text together. */
export function stateOf(outputs: readonly ProviderOutput[]): State {
  return {
    values: Object.assign({}, ...outputs.map((o) => o.values)),
    data: Object.fromEntries(outputs.map((o) => [o.name, o.data])),
    text: outputs
      .map((o) => o.text)
      .filter(Boolean)
      .join('\n\n'),
  };
}

/** Providers the model asked for (dynamic ones) join the state before actions run. */
export async function addAskedProviders(turn: AgentTurn, asked: readonly string[], outputs: ProviderOutput[], state: State): Promise<void> {
  const missing = asked.filter((n) => !outputs.some((o) => o.name.toUpperCase() === n.toUpperCase()));
  if (!missing.length) return;
  const extra = await composeProviders(turn.host, turn.runtime, turn.memory, turn.pluginFailures, missing);
  outputs.push(...extra);
  for (const o of extra) {
    Object.assign(state.values, o.values);
    state.data[o.name] = o.data;
    if (o.text) state.text += `\n\n${o.text}`;
  }
}

import { fileURLToPath } from 'node:url';
import type { Memory, PluginEffect, PluginRuntime, State } from '../../../src/plugin-host/types.ts';

export const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

/** A runtime for direct calls: records effects and settings reads, answers queries with fixed data. */
export function fakeRuntime(agentId: string, settings: Record<string, string> = {}, secrets: Record<string, string> = {}) {
  const effects: PluginEffect[] = [];
  const runtime: PluginRuntime = {
    agentId,
    character: { name: 'Ada', bio: ['test'], settings: { ...settings, secrets } } as PluginRuntime['character'],
    getSetting: (key) => secrets[key] ?? settings[key],
    useModel: async () => 'model says hi',
    getService: () => undefined,
    queries: {
      recentMessages: async () => [{ id: 'm0', authorId: 'u', authorKind: 'user', authorName: 'U', text: 'earlier', seq: 1 }],
      knowledge: async () => [],
      facts: async () => [],
    },
    record: (effect) => void effects.push(effect),
  };
  return { runtime, effects };
}

export const message = (text: string): Memory => ({ id: 'msg-1', entityId: 'u', agentId: 'a', roomId: 'room-1', content: { text } });
export const emptyState: State = { values: {}, data: {}, text: '' };

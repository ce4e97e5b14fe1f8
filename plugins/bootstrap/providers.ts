import type { Provider } from '../../src/plugin-host/types.ts';

const asArray = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export const timeProvider: Provider = {
  name: 'TIME',
  description: 'The current date and time (UTC).',
  position: -10,
  get: () => {
    const now = new Date();
    return { text: `# Time\nThe current date and time is ${now.toUTCString()}.`, values: { time: now.toISOString() } };
  },
};

export const characterProvider: Provider = {
  name: 'CHARACTER',
  description: "The agent's bio, lore, adjectives, topics, style and example messages.",
  position: 0,
  get: (runtime) => {
    const c = runtime.character;
    const parts = [`# About ${c.name}`, ...asArray(c.bio), ...(c.lore ?? [])];
    if (c.adjectives?.length) parts.push(`${c.name} is ${c.adjectives.join(', ')}.`);
    if (c.topics?.length) parts.push(`${c.name} knows about: ${c.topics.join(', ')}.`);
    const style = [...(c.style?.all ?? []), ...(c.style?.chat ?? [])];
    if (style.length) parts.push(`# Style\n${style.map((s) => `- ${s}`).join('\n')}`);
    const examples = (c.messageExamples ?? [])
      .slice(0, 3)
      .map((convo) => convo.map((m) => `${m.name.replace(/\{\{name\d\}\}/g, 'User')}: ${m.content.text ?? ''}`).join('\n'))
      .join('\n\n');
    if (examples) parts.push(`# Example conversations\n${examples}`);
    return { text: parts.join('\n'), values: { agentName: c.name } };
  },
};

export const recentMessagesProvider: Provider = {
  name: 'RECENT_MESSAGES',
  description: 'The latest messages of the room (before the one being answered).',
  position: 100,
  get: async (runtime, message) => {
    const limit = Number(runtime.getSetting('RECENT_MESSAGES_LIMIT') ?? 32) || 32;
    const messages = await runtime.queries.recentMessages(message.roomId, limit, message.seq);
    const text = messages.length ? `# Conversation so far\n${messages.map((m) => `${m.authorName}: ${m.text}`).join('\n')}` : '';
    return { text, data: { messages, messageIds: messages.map((m) => m.id) } };
  },
};

export const knowledgeProvider: Provider = {
  name: 'KNOWLEDGE',
  description: "Passages of the agent's knowledge documents relevant to the message.",
  position: 50,
  get: async (runtime, message) => {
    const k = Number(runtime.getSetting('KNOWLEDGE_K') ?? 5) || 5;
    const hits = await runtime.queries.knowledge(message.content.text ?? '', k);
    const text = hits.length ? `# Knowledge\n${hits.map((h) => `[${h.title}] ${h.text}`).join('\n---\n')}` : '';
    return { text, data: { hits, chunkIds: hits.map((h) => h.chunkId) } };
  },
};

export const factsProvider: Provider = {
  name: 'FACTS',
  description: 'Facts the agent has learned in this room.',
  position: 60,
  get: async (runtime, message) => {
    const facts = await runtime.queries.facts(message.roomId, message.content.text, 10);
    const text = facts.length ? `# Things ${runtime.character.name} knows about this conversation\n${facts.map((f) => `- ${f.text}`).join('\n')}` : '';
    return { text, data: { facts, factIds: facts.map((f) => f.id) } };
  },
};

export const bootstrapProviders: Provider[] = [timeProvider, characterProvider, recentMessagesProvider, knowledgeProvider, factsProvider];

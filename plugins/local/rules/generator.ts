import type { ChatMessage, PromptContext } from '../../../src/models/provider.ts';
import { elizaReply } from './eliza.ts';
import { capitalise, contentTerms, coverage, pick, similarity } from './text.ts';
import { clip, endSentence, readableSentences } from './markdown.ts';
import { dontKnow, leadIn, quoteKnowledge, quoteMemory } from './voice.ts';

/**
 * Chronicle's default generator when no language model is configured. It is NOT a language model:
 * it answers from what the prompt was built from (PromptContext) — the character's message
 * examples, knowledge chunks, remembered facts, bio — and falls back to ELIZA's reflection rules.
 * Same input, same answer. Never throws.
 */
export interface RuleReply {
  text: string;
  /** Which rule answered: greeting, identity, example, knowledge, memory, bio, eliza, … */
  source: string;
}

const MAX_INPUT = 4000;

/**
 * Below this relevance (the hybrid search's score in [0, 1], src/projections/fusion.ts) a knowledge chunk
 * is not quoted. Measured with bench/knowledge-threshold.ts on test/models/local-knowledge (USE lite):
 * questions the documents answer scored 0.43–0.63, unrelated ones 0.05–0.22.
 */
export const KNOWLEDGE_MIN_SCORE = 0.3;
/** Share of the question's content words a chunk must contain as well (the score alone is not lexical enough). */
const KNOWLEDGE_MIN_COVERAGE = 0.25;

export function composeReply(messages: ChatMessage[], context?: PromptContext): RuleReply {
  try {
    return compose(normalise(messages, context));
  } catch {
    return { text: "I'm not sure what to say to that. Could you put it another way?", source: 'fallback' };
  }
}

function normalise(messages: ChatMessage[], context?: PromptContext): PromptContext {
  const lastUser = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const system = messages.find((m) => m.role === 'system')?.content ?? '';
  const named = /\b[Yy]ou are ([\p{Lu}][\p{L}\p{N}_-]*)/u.exec(system)?.[1];
  return {
    agentName: context?.agentName || named || 'Chronicle',
    bio: context?.bio ?? [],
    style: context?.style ?? [],
    adjectives: context?.adjectives ?? [],
    topics: context?.topics ?? [],
    messageExamples: context?.messageExamples ?? [],
    knowledge: context?.knowledge ?? [],
    memories: context?.memories ?? [],
    facts: context?.facts ?? [],
    recentMessages: context?.recentMessages ?? [],
    userText: (context?.userText ?? lastUser).slice(0, MAX_INPUT),
    userName: context?.userName,
  };
}

function compose(c: PromptContext): RuleReply {
  const text = c.userText.replace(/\s+/g, ' ').trim();
  const who = c.userName ? `, ${c.userName}` : '';
  const intro = c.bio.length > 0 ? ` ${endSentence(c.bio[0])}` : '';

  if (text === '' || !/[\p{L}\p{N}]/u.test(text)) {
    return { text: `I'm here${who}. What would you like to talk about?`, source: 'empty' };
  }
  const lower = text.toLowerCase();
  const short = text.split(' ').length <= 6;

  if (short && /^(hi|hello|hey|hiya|howdy|greetings|yo|good (morning|afternoon|evening|day)|bonjour|hola|salut)\b/.test(lower)) {
    return { text: `${pick(['Hello', 'Hi', 'Hey'], text)}${who}! I'm ${c.agentName}.${intro} What can I do for you?`, source: 'greeting' };
  }
  if (short && /\b(bye|goodbye|see you|good night|farewell)\b/.test(lower)) {
    return { text: `${pick(['Goodbye', 'Take care', 'See you soon'], text)}${who}!`, source: 'farewell' };
  }
  if (short && /\b(thanks|thank you|thx|cheers)\b/.test(lower)) {
    return { text: pick(["You're welcome!", 'Glad to help.', 'Any time!'], text), source: 'thanks' };
  }
  if (/\b(what('?s| is) your name|who are you|what are you|introduce yourself|tell me about yourself|your name\?)/.test(lower)) {
    const about = c.bio.slice(0, 2).map(endSentence).join(' ');
    return { text: `I'm ${c.agentName}.${about ? ` ${about}` : ''}`, source: 'identity' };
  }
  if (short && /\b(what (do|can) you do|what are you (good|for)|how can you help|what can you help)\b/.test(lower)) {
    const about = c.bio.slice(0, 2).map(endSentence).join(' ');
    const topics = c.topics.length ? ` I like to talk about ${listOf(c.topics.slice(0, 3))}.` : '';
    return { text: `I'm ${c.agentName}.${about ? ` ${about}` : ''}${topics}`, source: 'identity' };
  }
  if (/^(ok(ay)?|k|cool|sure|alright|got it|i see|nice|great|fine)[.!]*$/.test(lower)) {
    return { text: pick(['Alright. Anything else I can help with?', 'Good. What else is on your mind?'], text), source: 'smalltalk' };
  }
  if (short && /\bhow are you\b/.test(lower)) {
    return { text: `I'm doing well, thanks for asking${who}. What's on your mind?`, source: 'smalltalk' };
  }

  // The character's own examples: the closest one's answer, if it is close enough.
  let bestExample: { agent: string; score: number } | undefined;
  for (const ex of c.messageExamples) {
    const score = similarity(text, ex.user);
    if (score > (bestExample?.score ?? 0)) bestExample = { agent: ex.agent, score };
  }
  if (bestExample && bestExample.score >= 0.6 && bestExample.agent.trim()) {
    return { text: fillNames(bestExample.agent, c), source: 'example' };
  }

  const query = contentTerms(text);
  const relevant = c.knowledge.filter((k) => (Number.isFinite(k.score) ? k.score : 0) >= KNOWLEDGE_MIN_SCORE);
  const knowledge = bestPassage(
    query,
    relevant.map((k) => ({ text: k.text, title: k.title, score: k.score })),
  );
  if (knowledge && knowledge.coverage >= KNOWLEDGE_MIN_COVERAGE) {
    return { text: `${leadIn(c, text)}${quoteKnowledge(knowledge.sentences, knowledge.title, text)}`, source: 'knowledge' };
  }

  const remembered = bestPassage(query, [...c.facts.map((f) => ({ text: f, score: 1 })), ...c.memories.map((m) => ({ text: m.text, score: m.score }))]);
  if (remembered && remembered.coverage >= 0.4) {
    return { text: quoteMemory(remembered.sentences, text), source: 'memory' };
  }

  if (bestExample && bestExample.score >= 0.4 && bestExample.agent.trim()) {
    return { text: fillNames(bestExample.agent, c), source: 'example' };
  }

  const topic = c.topics.find((t) => query.size > 0 && coverage(contentTerms(t), query) >= 0.5);
  const eliza = elizaReply(text);
  if (topic) return { text: `${capitalise(topic)} is one of my favourite subjects. ${eliza}`, source: 'topic' };

  const bio = bestPassage(
    query,
    c.bio.map((b) => ({ text: b, score: 0 })),
  );
  if (bio && bio.coverage >= 0.5) {
    return { text: `A little about me: ${bio.sentences.join(' ')}`, source: 'bio' };
  }

  // A question the agent's documents were searched for and do not answer (nor its topics or bio):
  // say so, rather than quote whichever chunk came nearest or reflect the question back.
  if (c.knowledge.length > 0 && isQuestion(text)) {
    return { text: dontKnow(c, text), source: 'unknown' };
  }

  return { text: eliza, source: 'eliza' };
}

/**
 * The item that covers most of the query (ties to the better score), as its at most two best sentences
 * by overlap with the query, in document order, Markdown reduced to plain prose.
 */
function bestPassage(query: Set<string>, items: { text: string; title?: string; score: number }[]) {
  const clamp = (x: number) => Math.max(0, Math.min(1, x || 0));
  let best: { text: string; title?: string; score: number; coverage: number } | undefined;
  for (const item of items) {
    if (!item.text?.trim()) continue;
    const cov = coverage(query, contentTerms(item.text.slice(0, 20_000)));
    if (!best || cov + 0.25 * clamp(item.score) > best.coverage + 0.25 * clamp(best.score))
      best = { text: item.text, title: item.title, score: item.score, coverage: cov };
  }
  if (!best) return undefined;
  const all = readableSentences(best.text.slice(0, 20_000)).map((s, i) => ({ s, i, cov: coverage(query, contentTerms(s)) }));
  if (all.length === 0) return undefined;
  const ranked = [...all].sort((a, b) => b.cov - a.cov || a.i - b.i);
  // A second sentence only when it matches the question nearly as well as the best one does.
  const second = ranked[1] && ranked[1].cov > 0 && ranked[1].cov >= 0.75 * ranked[0].cov;
  const top = ranked.slice(0, second ? 2 : 1).sort((a, b) => a.i - b.i);
  let length = 0;
  const chosen = top.filter((t) => (length += t.s.length) <= 600 || t === top[0]).map((t) => (t.s.length > 600 ? endSentence(clip(t.s, 600)) : t.s));
  return { ...best, sentences: chosen };
}

const QUESTION_START =
  /^(what|whats|what's|how|when|where|why|who|whom|whose|which|is|are|was|were|do|does|did|can|could|should|would|will|shall|may|might|have|has)\b/i;

function isQuestion(text: string): boolean {
  return /\?\s*$/.test(text) || QUESTION_START.test(text.trim());
}

function fillNames(text: string, c: PromptContext): string {
  return text.replace(/\{\{\s*(user|user1|name1)\s*\}\}/gi, c.userName ?? 'friend').replace(/\{\{\s*(agentName|name2|user2)\s*\}\}/gi, c.agentName);
}

function listOf(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

import type { PromptContext } from '../../../src/models/provider.ts';
import { pick, words } from './text.ts';

/**
 * How the rules generator frames what it found, in whole sentences and in the character's voice: a
 * short lead-in from its adjectives and style, the document named the way a person would name it, and
 * an honest "I don't know" when nothing it has answers the question.
 */

/** Lead-ins by the character's adjectives or style words (first matching group wins). */
const LEAD_INS: { words: string[]; phrases: string[] }[] = [
  // A brief or terse character gets straight to the point.
  { words: ['brief', 'concise', 'terse', 'laconic', 'blunt', 'direct', 'succinct', 'short'], phrases: [''] },
  {
    words: ['cheerful', 'friendly', 'warm', 'enthusiastic', 'upbeat', 'bubbly', 'happy', 'kind', 'helpful', 'eager'],
    phrases: ['Happy to help! ', 'Glad you asked! '],
  },
  { words: ['patient', 'calm', 'gentle', 'thoughtful', 'caring', 'supportive', 'encouraging'], phrases: ['Good question. ', 'Let me help with that. '] },
  { words: ['formal', 'professional', 'precise', 'polite', 'courteous', 'serious', 'dignified'], phrases: ['Certainly. ', 'Of course. '] },
  {
    words: ['witty', 'playful', 'humorous', 'funny', 'sarcastic', 'cheeky', 'mischievous'],
    phrases: ['Ah, that one I can answer. ', 'Now there is a question I like. '],
  },
  {
    words: ['curious', 'nerdy', 'scholarly', 'knowledgeable', 'wise', 'academic', 'analytical', 'studious'],
    phrases: ['Interesting question. ', 'Here is what I know. '],
  },
];

/** A short opening drawn from the character's adjectives and style words; empty when none fits or it is brief. */
export function leadIn(c: Pick<PromptContext, 'adjectives' | 'style'>, seed: string): string {
  const own = new Set(words([...c.adjectives, ...c.style].join(' ')));
  const group = LEAD_INS.find((g) => g.words.some((w) => own.has(w)));
  return group ? pick(group.phrases, seed) : '';
}

/** Quotes a document's best sentences, naming it: 'According to "Setup guide", …' or '… (from "Setup guide").' */
export function quoteKnowledge(sentences: string[], title: string | undefined, seed: string): string {
  const passage = sentences.join(' ');
  const name = title?.trim().replace(/\s+/g, ' ');
  if (!name) return passage;
  if (canLowercaseStart(sentences)) {
    return pick([`According to "${name}", ${lowerFirst(passage)}`, `The document "${name}" says that ${lowerFirst(passage)}`], seed);
  }
  return pick([attributeAtEnd(passage, `(from "${name}")`), `I found this in "${name}". ${passage}`], seed);
}

/** Quotes what the agent remembers (facts, memories) as a sentence of its own. */
export function quoteMemory(sentences: string[], seed: string): string {
  const passage = sentences.join(' ');
  if (canLowercaseStart(sentences)) return pick([`As far as I remember, ${lowerFirst(passage)}`, `If I remember rightly, ${lowerFirst(passage)}`], seed);
  return `Here is what I remember. ${passage}`;
}

/** The answer to a question that nothing the agent was given answers. */
export function dontKnow(c: Pick<PromptContext, 'userName'>, seed: string): string {
  const who = c.userName ? `, ${c.userName}` : '';
  return pick(
    [`I'm afraid I don't know${who}. Nothing in my documents covers that.`, `I don't know, I'm sorry${who}. My documents don't say anything about that.`],
    seed,
  );
}

const COMMON_STARTS = new Set(
  'a an the this that these those it its there here you your we our they their he she his her my some most many each every all any no one two half'.split(' '),
);

/**
 * Whether the passage's first word may be lowercased to follow "According to …,": a common word, or
 * one the passage also writes in lowercase. An acronym stays as it is and needs no change; a likely
 * name ("Chronicle issues …") must not be lowercased, so the caller attributes at the end instead.
 */
function canLowercaseStart(sentences: string[]): boolean {
  const first = /^[\p{L}][\p{L}'’-]*/u.exec(sentences[0] ?? '')?.[0];
  if (!first) return true;
  if (first.length > 1 && first === first.toUpperCase()) return true;
  const lower = first.toLowerCase();
  if (first === lower) return true;
  return COMMON_STARTS.has(lower) || new RegExp(`(^|[^\\p{L}])${escape(lower)}([^\\p{L}]|$)`, 'u').test(sentences.join(' ').slice(first.length));
}

function lowerFirst(passage: string): string {
  const first = /^[\p{L}][\p{L}'’-]*/u.exec(passage)?.[0];
  if (!first || (first.length > 1 && first === first.toUpperCase())) return passage;
  return passage.charAt(0).toLowerCase() + passage.slice(1);
}

/** "X. Y." + "(from T)" → "X. Y (from T)." — the attribution inside the last sentence's punctuation. */
function attributeAtEnd(passage: string, attribution: string): string {
  const m = /([.!?…]+)$/.exec(passage);
  return m ? `${passage.slice(0, -m[1].length)} ${attribution}${m[1]}` : `${passage} ${attribution}.`;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

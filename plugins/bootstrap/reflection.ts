import type { Evaluator, Memory } from '../../src/plugin-host/types.ts';

/**
 * Rule-based reflection: extracts self-statements from a person's message ("my name is X", "I like
 * Y", "I live in Z", "I work as W", "call me V", "my favourite A is B") and records each as a fact.
 * ElizaOS asks a TEXT_SMALL model for this; rules work with the local model, cost nothing, and are
 * deterministic (a resumed turn records the very same facts, which the log then de-duplicates).
 */
const PATTERNS: { re: RegExp; fact: (who: string, m: RegExpExecArray) => string }[] = [
  { re: /\bmy name is ([\p{L}][\p{L}\p{N}' -]{0,40}?)(?=[.,!?;]|$| and\b| but\b)/iu, fact: (who, m) => `${who}'s name is ${m[1].trim()}` },
  { re: /\bcall me ([\p{L}][\p{L}\p{N}'-]{0,30})/iu, fact: (who, m) => `${who} wants to be called ${m[1].trim()}` },
  { re: /\bi (?:really )?(like|love|enjoy|hate|dislike) ([^.!?;\n]{1,80})/iu, fact: (who, m) => `${who} ${m[1].toLowerCase()}s ${m[2].trim()}` },
  { re: /\bi live in ([^.!?;,\n]{1,60})/iu, fact: (who, m) => `${who} lives in ${m[1].trim()}` },
  { re: /\bi work (as|at|for|in) ([^.!?;,\n]{1,60})/iu, fact: (who, m) => `${who} works ${m[1].toLowerCase()} ${m[2].trim()}` },
  { re: /\bmy (?:favou?rite) ([\p{L} ]{1,30}?) is ([^.!?;,\n]{1,60})/iu, fact: (who, m) => `${who}'s favourite ${m[1].trim()} is ${m[2].trim()}` },
  { re: /\bi(?: am|'m) (\d{1,3}) years old\b/iu, fact: (who, m) => `${who} is ${m[1]} years old` },
];

export function extractFacts(text: string, who: string): string[] {
  const out: string[] = [];
  for (const sentence of text.split(/(?<=[.!?])\s+|\n+/)) {
    for (const p of PATTERNS) {
      const m = p.re.exec(sentence);
      if (m) out.push(p.fact(who, m).replace(/\s+/g, ' '));
    }
  }
  return [...new Set(out)];
}

const isFromSomeoneElse = (message: Memory) => message.entityId !== message.agentId;

export const reflectionEvaluator: Evaluator = {
  name: 'REFLECTION',
  similes: ['REFLECT', 'SELF_REFLECT', 'EXTRACT_FACTS'],
  description: 'Records facts a person states about themselves, so later answers can use them.',
  alwaysRun: true,
  validate: (_runtime, message) => isFromSomeoneElse(message) && extractFacts(message.content.text ?? '', 'x').length > 0,
  handler: (runtime, message) => {
    const who = message.entityName || 'The user';
    const facts = extractFacts(message.content.text ?? '', who);
    for (const text of facts) runtime.record({ kind: 'fact', roomId: message.roomId, text, sourceMessageIds: [message.id] });
    return { facts };
  },
  examples: [],
};

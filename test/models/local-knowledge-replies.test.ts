import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeReply, LocalProvider, LOCAL_EMBEDDING_MODEL } from '../../plugins/local/index.ts';
import { KNOWLEDGE_MIN_SCORE } from '../../plugins/local/rules/generator.ts';
import type { PromptContext } from '../../src/models/provider.ts';
import { openKnowledgeFixture, RELATED, UNRELATED, type KnowledgeFixture } from './local-knowledge/fixture.ts';

/**
 * The local default end to end on Markdown knowledge: real chunker, log, projections, hybrid search and
 * USE-lite embeddings, then the rules generator. Replies must read as prose and name the document; a
 * question the documents do not answer gets "I don't know", not the nearest chunk.
 */
const provider = new LocalProvider();
let fixture: KnowledgeFixture;
beforeAll(async () => {
  fixture = await openKnowledgeFixture({ model: LOCAL_EMBEDDING_MODEL, embed: async (t) => (await provider.embed(t)).vectors });
}, 60_000);
afterAll(async () => {
  await fixture?.close();
  await provider.close();
});

const context = (userText: string, knowledge: PromptContext['knowledge']): PromptContext => ({
  agentName: 'Quill',
  bio: ['A former technical writer'],
  style: [],
  adjectives: ['patient'],
  topics: [],
  messageExamples: [],
  knowledge,
  memories: [],
  facts: [],
  recentMessages: [],
  userText,
  userName: 'Sam',
});
const reply = async (question: string) => {
  const hits = await fixture.search(question);
  return composeReply(
    [{ role: 'user', content: question }],
    context(
      question,
      hits.map((h) => ({ text: h.text, title: h.title, score: h.score })),
    ),
  );
};

describe('local default on Markdown knowledge', () => {
  it.each(RELATED)('"$question" is answered in prose from "$title", named', async ({ question, title }) => {
    const r = await reply(question);
    expect(r.source).toBe('knowledge');
    expect(r.text).toContain(`"${title}"`);
    expect(r.text).not.toMatch(/#|\*\*|`|\]\(|(^|[.!?]\s)[-*+] /m);
    expect(r.text).not.toMatch(/\bFrom [^.!?]*:/);
    expect(r.text).toMatch(/[.!?]$/);
    expect(r.text).toMatch(/^Good question\.|^Let me help with that\./); // the lead-in of a patient character
  });

  it('quotes the sentence that answers, not the first line of the chunk', async () => {
    const r = await reply('How long do refresh tokens last?');
    expect(r.text).toContain('efresh tokens last 30 days');
    expect(r.text).not.toMatch(/signs\W+JWT|tokens expire/); // the chunk's first line, and a sentence that does not answer
  });

  it.each(UNRELATED)('"%s" gets "I don\'t know", not a chunk', async (question) => {
    const r = await reply(question);
    expect(r.source).toBe('unknown');
    expect(r.text).toMatch(/I don't know/);
    expect(r.text).not.toMatch(/crowns|tokens|npm|Node 20|harbour/i);
  });

  it('scores are in [0, 1]; the answering document scores above the threshold, unrelated questions below', async () => {
    for (const { question, title } of RELATED) {
      const hits = await fixture.search(question);
      for (const h of hits) expect(h.score).toBeGreaterThanOrEqual(0), expect(h.score).toBeLessThanOrEqual(1);
      const relevant = Math.max(...hits.filter((h) => h.title === title).map((h) => h.score));
      const others = hits.filter((h) => h.title !== title).map((h) => h.score);
      expect(relevant).toBeGreaterThanOrEqual(KNOWLEDGE_MIN_SCORE);
      expect(relevant).toBeGreaterThan(Math.max(0, ...others));
    }
    for (const question of UNRELATED) {
      const hits = await fixture.search(question);
      expect(Math.max(0, ...hits.map((h) => h.score))).toBeLessThan(KNOWLEDGE_MIN_SCORE);
    }
  }, 30_000);
});

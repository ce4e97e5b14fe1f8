import { readFileSync } from 'node:fs';
import { ingestDocument, type Embedder } from '../../../src/knowledge/ingest.ts';
import { openProjections } from '../../../src/projections/index.ts';
import type { KnowledgeHit } from '../../../src/projections/read-model.ts';
import { memoryStore } from '../../support/projection-fixtures.ts';

/**
 * The local provider's knowledge fixture: three small Markdown documents ingested through the real
 * chunker, log and projections, searched by the real hybrid search. Used by the tests of the rules
 * generator's knowledge answers and by bench/knowledge-threshold.ts, which measured the threshold.
 */
export const DOCUMENTS = [
  { title: 'Setup guide', file: 'setup-guide.md' },
  { title: 'Access tokens', file: 'tokens.md' },
  { title: 'Saltmere harbour', file: 'harbour.md' },
] as const;

/** Questions a document answers (with that document's title). */
export const RELATED: { question: string; title: string }[] = [
  { question: 'How long do refresh tokens last?', title: 'Access tokens' },
  { question: 'When do access tokens expire?', title: 'Access tokens' },
  { question: 'Which version of Node do I need?', title: 'Setup guide' },
  { question: 'What port does the server listen on?', title: 'Setup guide' },
  { question: 'How do I take a backup of the event log?', title: 'Setup guide' },
  { question: 'How much is the harbour fund?', title: 'Saltmere harbour' },
  { question: 'How often does the ferry to Gull Island sail?', title: 'Saltmere harbour' },
  { question: 'How much does a ferry ticket cost?', title: 'Saltmere harbour' },
];

/** Questions no document answers. */
export const UNRELATED = [
  'What is the capital of France?',
  'Who painted the Mona Lisa?',
  'What is a good recipe for banana bread?',
  'How tall is a giraffe?',
  'Which team won the football match yesterday?',
  'What is the meaning of life?',
];

export interface KnowledgeFixture {
  /** The hybrid search as a turn runs it; `lexicalOnly` leaves the query vector out (no embedder). */
  search(question: string, k?: number, lexicalOnly?: boolean): Promise<KnowledgeHit[]>;
  close(): Promise<void>;
}

export async function openKnowledgeFixture(embedder: Embedder, agentId = 'quill'): Promise<KnowledgeFixture> {
  const store = memoryStore();
  const p = openProjections({ path: ':memory:', store });
  await p.start();
  for (const d of DOCUMENTS) {
    const text = readFileSync(new URL(d.file, import.meta.url), 'utf8');
    await ingestDocument({ store, embedder }, { agentId, documentId: d.file, title: d.title, text, chunking: { maxChars: 400, overlapChars: 0 } });
  }
  await p.waitFor(await store.head());
  return {
    async search(question, k = 5, lexicalOnly = false) {
      if (lexicalOnly) return p.readModel.searchKnowledge(agentId, { text: question, k });
      const [vector] = await embedder.embed([question]);
      return p.readModel.searchKnowledge(agentId, { text: question, vector, k });
    },
    async close() {
      await p.close();
      await store.close();
    },
  };
}

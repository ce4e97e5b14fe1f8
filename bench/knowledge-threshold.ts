/**
 * Measures the hybrid search's relevance scores (src/projections/fusion.ts) with the local embedder
 * (USE lite) on the local provider's Markdown knowledge fixture: the best hit's score for questions the
 * documents answer and for questions they do not. The rules generator's KNOWLEDGE_MIN_SCORE is chosen
 * between the two (plugins/local/README.md). Run: npx tsx bench/knowledge-threshold.ts [--lexical-only]
 */
import { LocalProvider, LOCAL_EMBEDDING_MODEL } from '../plugins/local/index.ts';
import { RELATED, UNRELATED, openKnowledgeFixture } from '../test/models/local-knowledge/fixture.ts';

const provider = new LocalProvider();
const fixture = await openKnowledgeFixture({ model: LOCAL_EMBEDDING_MODEL, embed: async (t) => (await provider.embed(t)).vectors });
const lexicalOnly = process.argv.includes('--lexical-only');
const row = async (q: string, expected?: string) => {
  const hits = await fixture.search(q, 5, lexicalOnly);
  const top = hits[0];
  const best = Math.max(0, ...hits.map((h) => h.score));
  console.log(
    `${best.toFixed(3)}  top=${top ? `${top.score.toFixed(3)} "${top.title}"` : '-'}${expected ? (top?.title === expected ? ' ok' : ` WRONG (want "${expected}")`) : ''}  ${q}`,
  );
  return best;
};
console.log('related (best score, first hit):');
const related = [];
for (const r of RELATED) related.push(await row(r.question, r.title));
console.log('unrelated:');
const unrelated = [];
for (const q of UNRELATED) unrelated.push(await row(q));
console.log(`related min ${Math.min(...related).toFixed(3)}, unrelated max ${Math.max(...unrelated).toFixed(3)}`);
await fixture.close();
await provider.close();

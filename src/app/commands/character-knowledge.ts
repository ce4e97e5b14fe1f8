import type { IngestInput } from '../../knowledge/ingest.ts';
import { characterDocumentId, type CharacterDocument, type SkippedKnowledge } from '../../knowledge/character-knowledge.ts';
import type { ReadModel } from '../../projections/read-model.ts';
import { authorOf, type Caller } from './context.ts';

export interface CharacterKnowledgeContext {
  readModel: Pick<ReadModel, 'documentById'>;
  knowledge: { ingest(input: IngestInput): Promise<{ documentId: string; chunks: number }> };
}

/** What loading a character's knowledge did: every item is in exactly one of the three lists. */
export interface CharacterKnowledgeReport {
  documents: { id: string; title: string; origin: string; chunks: number; alreadyKnown: boolean }[];
  skipped: SkippedKnowledge[];
  failed: { title: string; origin: string; error: string }[];
}

/**
 * Ingests a character's knowledge documents for its agent, one after another. A document the agent
 * already has (same text: same derived id) is not embedded again. One that fails is reported and the
 * others still go in — the agent exists either way, and the failure is in the log
 * (`knowledge.document_failed`).
 */
export async function addCharacterKnowledge(
  ctx: CharacterKnowledgeContext,
  caller: Caller,
  agentId: string,
  resolved: { documents: CharacterDocument[]; skipped: SkippedKnowledge[] },
  onDocument?: (done: number, total: number, title: string) => void,
): Promise<CharacterKnowledgeReport> {
  const report: CharacterKnowledgeReport = { documents: [], skipped: [...resolved.skipped], failed: [] };
  const done = new Map<string, number>(); // this run's documents (the read model may not show them yet)
  for (const [i, doc] of resolved.documents.entries()) {
    const id = characterDocumentId(agentId, doc.text);
    const known = ctx.readModel.documentById(id);
    if (done.has(id)) {
      report.documents.push({ id, title: doc.title, origin: doc.origin, chunks: done.get(id)!, alreadyKnown: true });
    } else if (known && known.agentId === agentId && known.status === 'ready') {
      report.documents.push({ id, title: known.title, origin: doc.origin, chunks: known.chunks, alreadyKnown: true });
    } else {
      try {
        const { chunks } = await ctx.knowledge.ingest({
          agentId,
          documentId: id,
          title: doc.title,
          text: doc.text,
          source: doc.fromFile ? 'file' : 'character',
          author: authorOf(caller),
        });
        report.documents.push({ id, title: doc.title, origin: doc.origin, chunks, alreadyKnown: false });
        done.set(id, chunks);
      } catch (err) {
        report.failed.push({ title: doc.title, origin: doc.origin, error: err instanceof Error ? err.message : String(err) });
      }
    }
    onDocument?.(i + 1, resolved.documents.length, doc.title);
  }
  return report;
}

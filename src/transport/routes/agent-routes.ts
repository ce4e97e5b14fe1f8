import { z } from 'zod';
import { createAgent, deleteAgent, liveAgent, setAgentRunning, updateAgent } from '../../app/commands/agents.ts';
import { authorOf, catchUp, type Caller } from '../../app/commands/context.ts';
import { parseLimit } from '../../app/commands/messages.ts';
import { parseInput } from '../../app/commands/validate.ts';
import { AppError, badRequest, notFound } from '../../app/errors.ts';
import type { Settings } from '../../app/settings.ts';
import { DocumentRefusedError, DocumentUnavailableError, fetchDocument } from '../../knowledge/fetch-document.ts';
import { agentOut, type AppRouter } from '../call.ts';
import { embedQuery } from './search.ts';
import { permissionChangeEvents } from '../../plugin-host/permissions.ts';
import { addCharacterKnowledge, type CharacterKnowledgeReport } from '../../app/commands/character-knowledge.ts';
import type { TransportChronicle } from '../types.ts';
import { resolveCharacterKnowledge } from '../../knowledge/character-knowledge.ts';
import { extractText, type KnowledgeContentType } from '../../knowledge/extract-text.ts';
import type { AgentView } from '../../projections/read-model.ts';

const Title = z.string().trim().min(1, 'must not be empty').max(500, 'must be at most 500 characters');
const TextDocument = z.object({ title: Title, text: z.string().refine((t) => t.trim().length > 0, 'must not be empty') });
const UrlDocument = z.object({ title: Title, url: z.string().url('must be a URL') });
const FileDocument = z.object({
  title: Title,
  file: z.object({
    contentType: z.enum(['application/pdf', 'text/markdown', 'text/plain'], 'must be application/pdf, text/markdown or text/plain'),
    base64: z.string().regex(/^[A-Za-z0-9+/\s]*={0,2}\s*$/, 'must be base64').refine((s) => s.trim().length > 0, 'must not be empty'),
  }),
});

/** One of the three shapes, chosen by its key so a mistake is named by field (a zod union only says "Invalid input"). */
function parseKnowledge(body: unknown): z.infer<typeof TextDocument> | z.infer<typeof UrlDocument> | z.infer<typeof FileDocument> {
  const has = (k: string) => body !== null && typeof body === 'object' && k in body;
  return has('file') ? parseInput(FileDocument, body) : has('url') && !has('text') ? parseInput(UrlDocument, body) : parseInput(TextDocument, body);
}

/** A document fetched by URL from an allowed host: 400 for what the caller can fix, 502 when the other server failed. */
async function fetchedText(settings: Settings, url: string): Promise<{ text: string; source: 'url'; url: string }> {
  if (settings.knowledgeUrlAllow.length === 0) throw badRequest('url: fetching documents by URL is off on this server (the operator lists allowed hosts in KNOWLEDGE_URL_ALLOW); send {title, text} or {title, file}');
  try {
    const doc = await fetchDocument(url, { allow: settings.knowledgeUrlAllow, maxBytes: settings.maxUploadBytes });
    return { text: doc.text, source: 'url', url: doc.url };
  } catch (err) {
    if (err instanceof DocumentRefusedError) throw badRequest(`url: ${err.message}`);
    if (err instanceof DocumentUnavailableError) throw new AppError(502, 'unavailable', `url: ${err.message}`);
    throw err;
  }
}

/** The text of an uploaded file, or a 400 saying why there is none (nothing is appended before this). */
async function uploadedText(file: { contentType: KnowledgeContentType; base64: string }): Promise<string> {
  let text: string;
  try {
    text = await extractText(Buffer.from(file.base64, 'base64'), file.contentType);
  } catch (err) {
    throw badRequest(`file: cannot read it as ${file.contentType}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!text.trim()) throw badRequest(`file: no text in it${file.contentType === 'application/pdf' ? ' (a scanned PDF holds only images; Chronicle does no OCR)' : ''}`);
  return text;
}

/**
 * The character's `knowledge` text items become the agent's documents (file items are skipped: see
 * resolveCharacterKnowledge). Answered as `knowledge` beside the agent when the character has any.
 */
async function loadKnowledge(c: TransportChronicle, caller: Caller, agent: AgentView): Promise<{ knowledge?: CharacterKnowledgeReport }> {
  if (!agent.character.knowledge?.length) return {};
  const report = await addCharacterKnowledge(c, caller, agent.id, await resolveCharacterKnowledge(agent.character.knowledge, undefined));
  await catchUp(c);
  return { knowledge: report };
}

export function agentRoutes(router: AppRouter): void {
  router
    .add('GET', '/api/v1/agents', { access: 'user' }, async ({ server }) => ({
      status: 200,
      body: { agents: server.chronicle.readModel.listAgents().filter((a) => !a.deleted).map(agentOut) },
    }))
    .add('GET', '/api/v1/agents/:id', { access: 'user' }, async ({ server, params }) => ({
      status: 200,
      body: { agent: agentOut(liveAgent(server.chronicle, params.id)) },
    }))
    .add('POST', '/api/v1/agents', { access: 'operator', body: true }, async ({ server, caller, body }) => {
      const agent = await createAgent(server.chronicle, caller, body);
      return { status: 201, body: { agent: agentOut(agent), ...(await loadKnowledge(server.chronicle, caller, agent)) } };
    })
    .add('PATCH', '/api/v1/agents/:id', { access: 'operator', body: true }, async ({ server, caller, params, body }) => {
      const agent = await updateAgent(server.chronicle, caller, params.id, body);
      const changed = body !== null && typeof body === 'object' && 'knowledge' in body;
      return { status: 200, body: { agent: agentOut(agent), ...(changed ? await loadKnowledge(server.chronicle, caller, agent) : {}) } };
    })
    .add('DELETE', '/api/v1/agents/:id', { access: 'operator' }, async ({ server, caller, params }) => {
      await deleteAgent(server.chronicle, caller, params.id);
      return { status: 204 };
    })
    .add('POST', '/api/v1/agents/:id/start', { access: 'operator' }, async ({ server, caller, params }) => ({
      status: 200,
      body: { agent: agentOut(await setAgentRunning(server.chronicle, caller, params.id, true)) },
    }))
    .add('POST', '/api/v1/agents/:id/stop', { access: 'operator' }, async ({ server, caller, params }) => ({
      status: 200,
      body: { agent: agentOut(await setAgentRunning(server.chronicle, caller, params.id, false)) },
    }))
    // Plugin permissions (issue 8): grants are events on the agent's stream, so the log shows who allowed what.
    .add('POST', '/api/v1/agents/:id/plugin-permissions', { access: 'operator', body: true }, async ({ server, caller, params, body }) => {
      liveAgent(server.chronicle, params.id);
      let events;
      try {
        events = permissionChangeEvents(params.id, body, caller.accountId);
      } catch (err) {
        throw badRequest((err as Error).message);
      }
      await server.chronicle.store.append(`agent-${params.id}`, events);
      return { status: 200, body: { events: events.map((e) => ({ type: e.type, data: e.data })) } };
    })
    .add('POST', '/api/v1/agents/:id/knowledge', { access: 'operator', body: true, upload: true }, async ({ server, caller, params, body }) => {
      const c = server.chronicle;
      const input = parseKnowledge(body);
      liveAgent(c, params.id);
      const { text, source, url } = 'url' in input ? await fetchedText(c.settings, input.url) : { text: 'text' in input ? input.text : await uploadedText(input.file), source: 'text' in input ? ('text' as const) : ('file' as const), url: undefined };
      const { documentId, chunks } = await c.knowledge.ingest({ agentId: params.id, title: input.title, text, source, ...(url ? { url } : {}), author: authorOf(caller) });
      await catchUp(c);
      return { status: 201, body: { document: { id: documentId, title: input.title, chunks } } };
    })
    .add('GET', '/api/v1/agents/:id/knowledge', { access: 'operator' }, async ({ server, params }) => {
      liveAgent(server.chronicle, params.id);
      return { status: 200, body: { documents: server.chronicle.readModel.listDocuments(params.id).map((d) => ({ id: d.id, title: d.title, chunks: d.chunks, embeddedChunks: d.embeddedChunks, status: d.status, createdAt: d.createdAt })) } };
    })
    .add('DELETE', '/api/v1/agents/:id/knowledge/:docId', { access: 'operator' }, async ({ server, caller, params }) => {
      const c = server.chronicle;
      liveAgent(c, params.id);
      const doc = c.readModel.documentById(params.docId);
      if (!doc || doc.agentId !== params.id) throw notFound('document');
      await c.knowledge.remove({ agentId: params.id, documentId: params.docId, author: authorOf(caller) });
      await catchUp(c);
      return { status: 204 };
    })
    .add('GET', '/api/v1/agents/:id/knowledge/search', { access: 'operator' }, async ({ server, params, info }) => {
      const c = server.chronicle;
      const k = parseLimit(info.query.get('k') ?? undefined, 10, 100, 'k');
      const q = info.query.get('q') ?? '';
      if (!q.trim()) throw badRequest('q is required');
      if (q.length > 4000) throw badRequest('q must be at most 4000 characters');
      liveAgent(c, params.id);
      const vector = await embedQuery(server, q);
      const hits = c.readModel.searchKnowledge(params.id, { text: q, vector, k });
      return { status: 200, body: { results: hits.map((h) => ({ documentId: h.documentId, title: h.title, text: h.text, score: h.score })) } };
    });
}

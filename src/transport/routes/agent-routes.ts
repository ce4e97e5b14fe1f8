import { agentPluginsSection, createAgentFromCharacter, deleteAgent, liveAgent, setAgentRunning, updateAgentFromCharacter } from '../../app/commands/agents.ts';
import { authorOf, catchUp, type Caller } from '../../app/commands/context.ts';
import { parseLimit } from '../../app/commands/messages.ts';
import { badRequest, notFound } from '../../app/errors.ts';
import { knowledgeText, parseKnowledgeBody } from './knowledge-input.ts';
import { agentOut, type AppRouter } from '../call.ts';
import { embedQuery } from './search.ts';
import { permissionChangeEvents } from '../../plugin-host/permissions.ts';
import { addCharacterKnowledge, type CharacterKnowledgeReport } from '../../app/commands/character-knowledge.ts';
import type { TransportChronicle } from '../types.ts';
import { resolveCharacterKnowledge } from '../../knowledge/character-knowledge.ts';
import type { AgentView } from '../../projections/read-model.ts';
import { agentAsOf, documentsAsOf, factsOf, parseAsOf } from '../../time-travel/reads.ts';
import { streams } from '../../domain/streams.ts';

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
      body: {
        agents: server.chronicle.readModel
          .listAgents()
          .filter((a) => !a.deleted)
          .map(agentOut),
      },
    }))
    .add('GET', '/api/v1/agents/:id', { access: 'user' }, async ({ server, params, info }) => {
      const asOf = await parseAsOf(server.chronicle, info.query.get('asOf'));
      if (asOf !== undefined) return { status: 200, body: { agent: agentOut(await agentAsOf(server.chronicle, params.id, asOf)), asOf } };
      return { status: 200, body: { agent: agentOut(liveAgent(server.chronicle, params.id)) } };
    })
    .add('GET', '/api/v1/agents/:id/facts', { access: 'operator' }, async ({ server, params, info }) => {
      const asOf = await parseAsOf(server.chronicle, info.query.get('asOf'));
      const facts = await factsOf(server.chronicle, params.id, asOf, {
        roomId: info.query.get('roomId') ?? undefined,
        limit: info.query.get('limit') ?? undefined,
      });
      return {
        status: 200,
        body: { facts: facts.map((f) => ({ id: f.id, roomId: f.roomId, text: f.text, createdAt: f.createdAt })), ...(asOf !== undefined ? { asOf } : {}) },
      };
    })
    .add('POST', '/api/v1/agents', { access: 'operator', body: true }, async ({ server, caller, body }) => {
      // `conversion` says how the character was read (a v0.x one is converted: what changed, what was dropped).
      const { agent, conversion } = await createAgentFromCharacter(server.chronicle, caller, body);
      return {
        status: 201,
        body: {
          agent: agentOut(agent),
          conversion,
          ...(await loadKnowledge(server.chronicle, caller, agent)),
          ...(await agentPluginsSection(server.chronicle, agent)),
        },
      };
    })
    .add('PATCH', '/api/v1/agents/:id', { access: 'operator', body: true }, async ({ server, caller, params, body }) => {
      const { agent, conversion, changed } = await updateAgentFromCharacter(server.chronicle, caller, params.id, body);
      const knowledge = body !== null && typeof body === 'object' && 'knowledge' in body;
      return {
        status: 200,
        body: {
          agent: agentOut(agent),
          conversion,
          changed,
          ...(knowledge ? await loadKnowledge(server.chronicle, caller, agent) : {}),
          ...(await agentPluginsSection(server.chronicle, agent)),
        },
      };
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
      await server.chronicle.store.append(streams.agent(params.id), events);
      return { status: 200, body: { events: events.map((e) => ({ type: e.type, data: e.data })) } };
    })
    .add('POST', '/api/v1/agents/:id/knowledge', { access: 'operator', body: true, upload: true }, async ({ server, caller, params, body }) => {
      const c = server.chronicle;
      const input = parseKnowledgeBody(body);
      liveAgent(c, params.id);
      const doc = await knowledgeText(c.settings, input);
      const { documentId, chunks } = await c.knowledge.ingest({ agentId: params.id, ...doc, author: authorOf(caller) });
      await catchUp(c);
      return { status: 201, body: { document: { id: documentId, title: doc.title, chunks } } };
    })
    .add('GET', '/api/v1/agents/:id/knowledge', { access: 'operator' }, async ({ server, params, info }) => {
      const asOf = await parseAsOf(server.chronicle, info.query.get('asOf'));
      if (asOf !== undefined) {
        const documents = (await documentsAsOf(server.chronicle, params.id, asOf)).map((d) => ({
          id: d.id,
          title: d.title,
          chunks: d.chunks,
          embeddedChunks: d.embeddedChunks,
          status: d.status,
          createdAt: d.createdAt,
        }));
        return { status: 200, body: { documents, asOf } };
      }
      liveAgent(server.chronicle, params.id);
      const documents = server.chronicle.readModel
        .listDocuments(params.id)
        .map((d) => ({ id: d.id, title: d.title, chunks: d.chunks, embeddedChunks: d.embeddedChunks, status: d.status, createdAt: d.createdAt }));
      // urlAllowed: whether {title, url} can work here (KNOWLEDGE_URL_ALLOW set), so a client offers it only then.
      return { status: 200, body: { documents, urlAllowed: server.chronicle.settings.knowledgeUrlAllow.length > 0 } };
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

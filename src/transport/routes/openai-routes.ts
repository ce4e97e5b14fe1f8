import type { AgentView } from '../../projections/read-model.ts';
import type { AppRouter } from '../call.ts';
import { findAgent } from './openai/agent-turn.ts';
import { chatCompletions } from './openai/chat.ts';
import { createEmbeddings } from './openai/embeddings.ts';
import { createResponse, getResponse } from './openai/responses.ts';

const modelOut = (a: AgentView) => ({
  id: a.name,
  object: 'model',
  created: Math.floor(Date.parse(a.createdAt) / 1000) || 0,
  owned_by: 'chronicle',
  agentId: a.id,
});

/**
 * OpenAI-compatible endpoint (docs/API.md, "OpenAI-compatible endpoint"): agents are the models.
 * Chat completions and responses post the caller's last message into a conversation room of the
 * (caller, agent) pair — one per `user` / `conversation` value, the direct room without one — with
 * the rest of the request (system message, earlier turns, parameters, response format) recorded on
 * the message for the agent's turn. Embeddings use the agent's embedder.
 */
export function openaiRoutes(router: AppRouter): void {
  router
    .add('GET', '/v1/models', { access: 'user', openai: true }, async ({ server }) => ({
      status: 200,
      body: {
        object: 'list',
        data: server.chronicle.readModel
          .listAgents()
          .filter((a) => !a.deleted)
          .map(modelOut),
      },
    }))
    .add('GET', '/v1/models/:model', { access: 'user', openai: true }, async ({ server, params }) => ({
      status: 200,
      body: modelOut(findAgent(server, params.model)),
    }))
    .add('POST', '/v1/chat/completions', { access: 'user', body: true, openai: true }, chatCompletions)
    .add('POST', '/v1/responses', { access: 'user', body: true, openai: true }, createResponse)
    .add('GET', '/v1/responses/:id', { access: 'user', openai: true }, getResponse)
    .add('POST', '/v1/embeddings', { access: 'user', body: true, openai: true }, createEmbeddings);
}

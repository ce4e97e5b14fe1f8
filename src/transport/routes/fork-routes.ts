import { agentOut, roomOut, type AppRouter } from '../call.ts';
import { forkAgent, forkRoom } from '../../time-travel/forks.ts';
import { reask } from '../../time-travel/reask.ts';

/** Branching a room, forking an agent, re-asking a turn (issue 18 items 2–4; docs/API.md, "Time travel and forks"). */
export function forkRoutes(router: AppRouter): void {
  router
    .add('POST', '/api/v1/rooms/:id/fork', { access: 'user', body: true }, async ({ server, caller, params, body }) => ({
      status: 201,
      body: { room: roomOut(await forkRoom(server.chronicle, caller, params.id, body)) },
    }))
    .add('POST', '/api/v1/agents/:id/fork', { access: 'operator', body: true }, async ({ server, caller, params, body }) => {
      const { agent, copied } = await forkAgent(server.chronicle, caller, params.id, body);
      return { status: 201, body: { agent: agentOut(agent), copied } };
    })
    .add('POST', '/api/v1/replies/:id/reask', { access: 'operator', body: true }, async ({ server, caller, params, body }) => ({
      status: 202,
      body: await reask(server.chronicle, caller, params.id, body),
    }));
}

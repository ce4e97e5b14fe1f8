import { listMessages, parseLimit, postMessage } from '../../app/commands/messages.ts';
import { accessibleRoom, addParticipant, createRoom, removeParticipant } from '../../app/commands/rooms.ts';
import { badRequest } from '../../app/errors.ts';
import { roomOut, type AppRouter } from '../call.ts';
import { embedQuery } from './search.ts';
import { messagesAsOf, parseAsOf, roomAsOf } from '../../time-travel/reads.ts';

export function roomRoutes(router: AppRouter): void {
  router
    .add('POST', '/api/v1/rooms', { access: 'user', body: true }, async ({ server, caller, body }) => ({
      status: 201,
      body: { room: roomOut(await createRoom(server.chronicle, caller, body)) },
    }))
    .add('GET', '/api/v1/rooms', { access: 'user' }, async ({ server, caller }) => ({
      status: 200,
      body: { rooms: server.chronicle.readModel.roomsOf(caller.accountId).map(roomOut) },
    }))
    .add('GET', '/api/v1/rooms/:id', { access: 'user' }, async ({ server, caller, params, info }) => {
      const asOf = await parseAsOf(server.chronicle, info.query.get('asOf'));
      if (asOf !== undefined) return { status: 200, body: { room: roomOut(await roomAsOf(server.chronicle, caller, params.id, asOf)), asOf } };
      return { status: 200, body: { room: roomOut(await accessibleRoom(server.chronicle, caller, params.id)) } };
    })
    .add('POST', '/api/v1/rooms/:id/participants', { access: 'user', body: true }, async ({ server, caller, params, body }) => ({
      status: 201,
      body: { room: roomOut(await addParticipant(server.chronicle, caller, params.id, body)) },
    }))
    .add('DELETE', '/api/v1/rooms/:id/participants/:participantId', { access: 'user' }, async ({ server, caller, params }) => {
      await removeParticipant(server.chronicle, caller, params.id, params.participantId);
      return { status: 204 };
    })
    .add('GET', '/api/v1/rooms/:id/messages', { access: 'user' }, async ({ server, caller, params, info }) => {
      const asOf = await parseAsOf(server.chronicle, info.query.get('asOf'));
      const page = { before: info.query.get('before') ?? undefined, limit: info.query.get('limit') ?? undefined };
      if (asOf !== undefined) return { status: 200, body: { messages: await messagesAsOf(server.chronicle, caller, params.id, asOf, page), asOf } };
      return { status: 200, body: { messages: await listMessages(server.chronicle, caller, params.id, page) } };
    })
    .add('POST', '/api/v1/messages', { access: 'user', body: true }, async ({ server, caller, body }) => {
      const { message } = await postMessage(server.chronicle, caller, body);
      return { status: 202, body: { message } };
    })
    .add('GET', '/api/v1/messages/search', { access: 'user' }, async ({ server, caller, info }) => {
      const c = server.chronicle;
      const roomId = info.query.get('roomId');
      if (!roomId) throw badRequest('roomId is required');
      const k = parseLimit(info.query.get('k') ?? undefined, 10, 100, 'k');
      const q = info.query.get('q') ?? '';
      if (!q.trim()) throw badRequest('q is required');
      if (q.length > 4000) throw badRequest('q must be at most 4000 characters');
      await accessibleRoom(c, caller, roomId);
      const vector = await embedQuery(server, q);
      const results = c.readModel.searchMessages(roomId, { text: q, vector, k });
      return { status: 200, body: { results: results.map((r) => ({ message: r.message, score: r.score })) } };
    });
}

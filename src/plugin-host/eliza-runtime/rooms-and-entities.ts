import type { NewEvent } from '../../events/envelope.ts';
import type { RoomView } from '../../projections/read-model.ts';
import { derivedId } from '../../shared/ids.ts';
import type { ElizaRuntimeParts } from './types.ts';
import { streams } from '../../domain/streams.ts';

/**
 * ElizaOS's worlds, rooms and entities on Chronicle's rooms, participants, accounts and agents:
 *
 * - world  = the agent's one server scope. Chronicle has no servers: every world id a plugin names is
 *   that scope, so getWorld(id) answers for any id (its rooms are the agent's rooms), ensureWorldExists
 *   has nothing to add and updateWorld's metadata is not kept.
 * - room   = a Chronicle room (room.created + participants). getRoom reads the room read model;
 *   ensureRoomExists appends room.created (with the plugin's room id) and the agent joining, if missing.
 * - entity = a participant: an account (a user), an agent, or an outside participant a connector added
 *   with ensureConnection (room.participant_joined, kind user, its name). getEntityById looks in that order.
 *
 * Appends use ids derived from (room, entity), so repeating an ensure* call appends nothing.
 */

export const CHRONICLE_SOURCE = 'chronicle';
export const worldIdOf = (agentId: string) => derivedId(agentId, 'world');

export function roomsAndEntities(parts: ElizaRuntimeParts) {
  const agentId = parts.base.agentId;
  const rm = parts.readModel;
  const worldId = worldIdOf(agentId);

  const room = (r: RoomView) => ({
    id: r.id,
    name: r.name,
    agentId,
    source: CHRONICLE_SOURCE,
    // ElizaOS ChannelType: two participants are a direct conversation, more a group.
    type: r.participants.length <= 2 ? 'DM' : 'GROUP',
    channelId: r.id,
    serverId: worldId,
    messageServerId: worldId,
    worldId,
    metadata: { createdBy: r.createdBy, createdAt: r.createdAt },
  });

  const entity = (id: string) => {
    const agent = rm.agentById(id);
    if (agent && !agent.deleted) return { id, names: [agent.name], agentId, metadata: { kind: 'agent' } };
    const account = rm.accountById(id);
    if (account) return { id, names: [...new Set([account.name, account.username])], agentId, metadata: { kind: 'user', username: account.username } };
    // An outside participant (a connector's user): known by its name in the rooms it joined.
    for (const r of rm.roomsOf(id)) {
      const p = r.participants.find((x) => x.id === id);
      if (p) return { id, names: [p.name], agentId, metadata: { kind: p.kind, outside: true } };
    }
    return null;
  };

  const appendRoom = async (roomId: string, events: NewEvent[]) => {
    if (!events.length) return;
    const r = await parts.store.append(
      streams.room(roomId),
      events.map((e) => ({ ...e, meta: { author: { kind: 'agent' as const, id: agentId } } })),
    );
    await parts.waitFor(r.lastSeq);
  };
  const joinEvent = (roomId: string, participantId: string, name: string): NewEvent => ({
    id: derivedId(roomId, 'eliza-participant', participantId),
    type: 'room.participant_joined',
    data: {
      roomId,
      participantId,
      kind: participantId === agentId || rm.agentById(participantId) ? 'agent' : 'user',
      name: name.slice(0, 200) || participantId,
    },
  });

  const ensureRoom = async (r: { id: string; name?: string; channelId?: string }) => {
    if (!r || typeof r.id !== 'string' || !r.id) throw new TypeError('ensureRoomExists: room.id must be a non-empty string');
    if (rm.roomById(r.id)) return;
    const name = (r.name || r.channelId || 'room').slice(0, 200);
    await appendRoom(r.id, [
      { id: derivedId(r.id, 'eliza-room-created'), type: 'room.created', data: { roomId: r.id, name, createdBy: agentId } },
      joinEvent(r.id, agentId, parts.base.character.name),
    ]);
  };
  const ensureParticipant = async (entityId: string, roomId: string, name?: string) => {
    if (!rm.roomById(roomId)) throw new Error(`room ${roomId} does not exist (ensureRoomExists first)`);
    if (rm.isMember(roomId, entityId)) return;
    const known = entity(entityId);
    await appendRoom(roomId, [joinEvent(roomId, entityId, name ?? known?.names[0] ?? entityId)]);
  };

  return {
    async getRoom(roomId: string) {
      const r = rm.roomById(roomId);
      return r ? room(r) : null;
    },
    async getRooms(_worldId: string) {
      return rm.roomsOf(agentId).map(room);
    },
    async getRoomsByIds(roomIds: string[]) {
      return roomIds.flatMap((id) => {
        const r = rm.roomById(id);
        return r ? [room(r)] : [];
      });
    },
    async getRoomsForParticipant(entityId: string) {
      return rm.roomsOf(entityId).map((r) => r.id);
    },
    async getRoomsForParticipants(entityIds: string[]) {
      return [...new Set(entityIds.flatMap((id) => rm.roomsOf(id).map((r) => r.id)))];
    },
    async getWorld(id: string) {
      return { id, name: CHRONICLE_SOURCE, agentId, serverId: worldId, messageServerId: worldId, metadata: {} };
    },
    async getAllWorlds() {
      return [await this.getWorld(worldId)];
    },
    async ensureWorldExists(_world: unknown): Promise<void> {},
    async updateWorld(_world: unknown): Promise<void> {
      parts.logger.debug("updateWorld: world metadata is not kept (every world is the agent's one scope)");
    },
    async getEntityById(entityId: string) {
      return entity(entityId);
    },
    async getEntitiesByIds(ids: string[]) {
      return ids.flatMap((id) => entity(id) ?? []);
    },
    async getEntitiesForRoom(roomId: string) {
      return (rm.roomById(roomId)?.participants ?? []).map((p) => entity(p.id) ?? { id: p.id, names: [p.name], agentId, metadata: { kind: p.kind } });
    },
    async getParticipantsForRoom(roomId: string) {
      return (rm.roomById(roomId)?.participants ?? []).map((p) => p.id);
    },
    /** Accounts are created by sign-up and outside participants by ensureConnection: nothing to add here. */
    async createEntity(e: { id?: string }) {
      return !!e?.id;
    },
    ensureRoomExists: ensureRoom,
    async ensureParticipantInRoom(entityId: string, roomId: string) {
      await ensureParticipant(entityId, roomId);
    },
    async addParticipant(entityId: string, roomId: string) {
      await ensureParticipant(entityId, roomId);
      return true;
    },
    async ensureConnection(p: { entityId: string; roomId: string; userName?: string; name?: string; worldName?: string; channelId?: string; type?: string }) {
      if (!p || typeof p.entityId !== 'string' || typeof p.roomId !== 'string') throw new TypeError('ensureConnection: entityId and roomId are required');
      await ensureRoom({ id: p.roomId, name: p.channelId ?? p.worldName, channelId: p.channelId });
      await ensureParticipant(agentId, p.roomId, parts.base.character.name);
      await ensureParticipant(p.entityId, p.roomId, p.name ?? p.userName);
    },
    async ensureConnections(entities: { id?: string; names?: string[] }[], rooms: { id: string; name?: string }[], _source: string, _world: unknown) {
      for (const r of rooms ?? []) await ensureRoom(r);
      for (const r of rooms ?? []) for (const e of entities ?? []) if (e.id) await ensureParticipant(e.id, r.id, e.names?.[0]);
    },
  };
}

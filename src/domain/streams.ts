/**
 * The names of the log's streams: the one place they are spelled. What each stream holds is listed in
 * catalogue.ts.
 *
 * An agent's or a room's actor id is its stream's name, on purpose: the agent actor of agent A is
 * "agent-A" and folds stream "agent-A". Snapshots, supervision, cluster ownership and the actor graph
 * name actors by these ids, so they use this helper too (`actorIds` below says which is meant).
 */
export const streams = {
  account: (accountId: string) => `account-${accountId}`,
  agent: (agentId: string) => `agent-${agentId}`,
  room: (roomId: string) => `room-${roomId}`,
  document: (documentId: string) => `document-${documentId}`,
  /** Supervision and plugin failures that belong to no agent. */
  system: 'system',
  /** Whether a stream name is a room's stream. */
  isRoom: (stream: string) => stream.startsWith('room-'),
} as const;

/** Actor ids: an agent's and a room's actor id is its stream's name; an agent's service actors are named under it. */
export const actorIds = {
  agent: streams.agent,
  room: streams.room,
  /** The agent id of an agent actor's id ("agent-A" → "A"). */
  agentOf: (actorId: string) => actorId.slice(streams.agent('').length),
  /** Prefix of an agent's service actors' ids ("agent-A-<service type>"). */
  servicesOf: (agentId: string) => `${streams.agent(agentId)}-`,
} as const;

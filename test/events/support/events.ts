import type { NewEvent } from '../../../src/events/index.ts';

/** A small valid event; `n` makes its payload distinguishable. */
export function started(id: string, n = 0): NewEvent {
  return { id, type: 'agent.started', data: { agentId: `agent-${n}` } };
}

export function roomCreated(id: string, roomId = 'r1'): NewEvent {
  return { id, type: 'room.created', data: { roomId, name: 'Lobby', createdBy: 'u1' } };
}

export function embedded(id: string, vector: Float32Array<ArrayBuffer>): NewEvent {
  return { id, type: 'message.embedded', data: { messageId: id, roomId: 'r1', model: 'm', vector } };
}

/** Waits until `predicate` holds, polling on the macrotask queue; bounded so a bug fails instead of hanging. */
export async function until(predicate: () => boolean, what: string, maxTurns = 20_000): Promise<void> {
  for (let i = 0; i < maxTurns; i++) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, i < 100 ? 0 : 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

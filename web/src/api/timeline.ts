import type { Message } from './types.ts';

/**
 * Merges messages into a room's timeline: one entry per id (a message replayed after a reconnect or
 * both answered by POST and pushed on the socket shows once), ordered by seq.
 */
export function mergeMessages(current: Message[], incoming: Message[]): Message[] {
  if (incoming.length === 0) return current;
  const byId = new Map(current.map((m) => [m.id, m]));
  let changed = false;
  for (const m of incoming) {
    if (!byId.has(m.id)) changed = true;
    byId.set(m.id, m);
  }
  if (!changed && incoming.every((m) => current.includes(m))) return current;
  return [...byId.values()].sort((a, b) => a.seq - b.seq);
}

/** A reply being streamed: key `${agentId}:${replyTo}`, text so far. */
export type Drafts = Record<string, { agentId: string; replyTo: string; text: string; at: number }>;

export const draftKey = (agentId: string, replyTo: string) => `${agentId}:${replyTo}`;

export function appendDelta(drafts: Drafts, agentId: string, replyTo: string, delta: string, at = Date.now()): Drafts {
  const key = draftKey(agentId, replyTo);
  const prev = drafts[key];
  return { ...drafts, [key]: { agentId, replyTo, text: (prev?.text ?? '') + delta, at } };
}

/** A reply that stopped streaming without a final message (it failed) is dropped after `idleMs`. */
export function pruneDrafts(drafts: Drafts, now: number, idleMs: number): Drafts {
  const keep = Object.entries(drafts).filter(([, d]) => now - d.at < idleMs);
  return keep.length === Object.keys(drafts).length ? drafts : Object.fromEntries(keep);
}

/** The final message replaces its draft. */
export function settleDraft(drafts: Drafts, m: Message): Drafts {
  if (!m.inReplyTo) return drafts;
  const key = draftKey(m.authorId, m.inReplyTo);
  if (!(key in drafts)) return drafts;
  const next = { ...drafts };
  delete next[key];
  return next;
}

/** Whether a socket error frame belongs in this room's view: its own errors and those of no room, never another room's. */
export function errorConcernsRoom(frame: { roomId?: string }, roomId: string): boolean {
  return frame.roomId === undefined || frame.roomId === roomId;
}

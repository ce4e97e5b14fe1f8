import fc from 'fast-check';
import type { NewEvent } from '../../src/events/envelope.ts';
import { sha256Hex } from '../../src/shared/ids.ts';

/** One generated event and the stream it goes to. */
export interface StreamEvent {
  stream: string;
  event: NewEvent;
}

const WORDS = ['lava', 'penguin', 'sqlite', 'violin', 'river', 'cloud', 'garden', 'rocket', 'coffee', 'piano'];
const text = (seed: number) => `${WORDS[seed % 10]} ${WORDS[(seed >> 3) % 10]} ${WORDS[(seed >> 6) % 10]} ${seed}`;
const vec = (seed: number, dims: number) => Float32Array.from({ length: dims }, (_, i) => Math.sin(seed * 7.13 + i * 1.7) + (i === 0 ? 0.01 : 0));
const character = (name: string) => ({ name, bio: `${name} bio` });

/** A step: (kind, a, b, seed) → one event; kinds cover every projected event type. */
export const stepArb = fc.tuple(
  fc.integer({ min: 0, max: 22 }),
  fc.integer({ min: 0, max: 2 }),
  fc.integer({ min: 0, max: 2 }),
  fc.integer({ min: 0, max: 1023 }),
);
export const stepsArb = fc.array(stepArb, { minLength: 1, maxLength: 60 });

/**
 * Turns steps into events, deterministically. Events may refer to things that do not exist (a role
 * change for an unknown account, a chunk of a removed document…): projections must cope with the log
 * as it is.
 */
export function eventsFromSteps(steps: readonly [number, number, number, number][]): StreamEvent[] {
  const out: StreamEvent[] = [];
  const messages: { id: string; roomId: string }[] = [];
  let n = 0;
  const id = () => `ev-${n++}`;
  const push = (stream: string, type: string, data: unknown) => out.push({ stream, event: { id: id(), type, data } as NewEvent });
  for (const [kind, a, b, seed] of steps) {
    const acc = `a${a}`,
      agent = `g${a}`,
      room = `r${a}`,
      doc = `d${a}`;
    switch (kind) {
      case 0:
        push(`account-${acc}`, 'account.registered', {
          accountId: acc,
          username: `User${a}`,
          name: `U ${a}`,
          role: 'user',
          passwordHash: `enc:v1:${seed}:x:y`,
        });
        break;
      case 1:
        push(`account-${acc}`, 'account.role_changed', { accountId: acc, role: ['user', 'operator', 'admin'][b] });
        break;
      case 2:
        push(`account-${acc}`, 'auth.refresh_issued', { accountId: acc, familyId: `f${b}`, tokenHash: sha256Hex(`t${seed % 5}`) });
        break;
      case 3:
        push(`account-${acc}`, 'auth.refresh_used', { accountId: acc, familyId: `f${b}`, tokenHash: sha256Hex(`t${seed % 5}`) });
        break;
      case 4:
        push(`account-${acc}`, 'auth.family_revoked', { accountId: acc, familyId: `f${b}`, reason: 'reuse' });
        break;
      case 5:
        push(`agent-${agent}`, 'agent.created', { agentId: agent, name: `Agent${a}`, character: character(`Agent${a}`) });
        break;
      case 6:
        push(`agent-${agent}`, 'agent.updated', { agentId: agent, name: `Agent${a}-${b}`, character: character(`Agent${a}-${b}`) });
        break;
      case 7:
        push(`agent-${agent}`, b === 0 ? 'agent.stopped' : 'agent.started', { agentId: agent });
        break;
      case 8:
        push(`agent-${agent}`, 'agent.deleted', { agentId: agent });
        break;
      case 9:
        push(`room-${room}`, 'room.created', { roomId: room, name: `Room ${a}`, createdBy: `a${b}` });
        break;
      case 10:
        push(`room-${room}`, 'room.participant_joined', { roomId: room, participantId: `p${b}`, kind: b === 2 ? 'agent' : 'user', name: `P${b}` });
        break;
      case 11:
        push(`room-${room}`, 'room.participant_left', { roomId: room, participantId: `p${b}` });
        break;
      case 12:
      case 13: {
        const messageId = `m${messages.length}`;
        messages.push({ id: messageId, roomId: room });
        push(`room-${room}`, 'message.posted', {
          messageId,
          roomId: room,
          authorId: `p${b}`,
          authorKind: 'user',
          text: text(seed),
          ...(seed % 3 === 0 ? { clientMessageId: `c${seed}` } : {}),
          ...(seed % 4 === 0 && messages.length > 1 ? { inReplyTo: messages[0].id } : {}),
        });
        break;
      }
      case 14: {
        const m = messages.length ? messages[seed % messages.length] : { id: 'm-missing', roomId: room };
        push(`room-${m.roomId}`, 'message.embedded', { messageId: m.id, roomId: m.roomId, model: 'x', vector: vec(seed, b === 0 ? 4 : 8) });
        break;
      }
      case 15:
        push(`document-${doc}`, 'knowledge.document_added', {
          documentId: doc,
          agentId: `g${b}`,
          title: `Doc ${a}`,
          source: 'text',
          contentHash: sha256Hex(`${seed}`),
          chars: seed,
          totalChunks: 3,
        });
        break;
      case 16:
      case 17:
        push(`document-${doc}`, 'knowledge.chunk_embedded', {
          documentId: doc,
          agentId: `g${b}`,
          chunkId: `${doc}-c${seed % 4}`,
          index: seed % 4,
          text: text(seed),
          contentHash: sha256Hex(text(seed)),
          model: 'x',
          vector: vec(seed, b === 0 ? 4 : 8),
        });
        break;
      case 18:
        push(
          `document-${doc}`,
          seed % 2 ? 'knowledge.document_ready' : 'knowledge.document_removed',
          seed % 2 ? { documentId: doc, agentId: `g${b}`, chunks: 3 } : { documentId: doc, agentId: `g${b}` },
        );
        break;
      case 19:
        push(`agent-${agent}`, 'agent.fact_recorded', {
          agentId: agent,
          roomId: `r${b}`,
          factId: `fact${seed}`,
          text: text(seed),
          sourceMessageIds: [],
          ...(seed % 2 ? { model: 'x', vector: vec(seed, 4) } : {}),
        });
        break;
      case 20:
        push(`document-${doc}`, 'knowledge.document_failed', { documentId: doc, agentId: `g${b}`, error: 'boom' });
        break;
      // ElizaOS plugin memories (a memory id shared across agents: only its creator may change it)
      case 21:
        push(`agent-${agent}`, 'memory.created', {
          agentId: agent,
          memoryId: `mem${seed % 6}`,
          table: b ? 'notes' : 'knowledge',
          roomId: `r${b}`,
          content: { text: text(seed) },
          ...(seed % 2 ? { vector: vec(seed, b === 0 ? 4 : 8) } : {}),
        });
        break;
      case 22:
        push(
          `agent-${agent}`,
          seed % 3 ? 'memory.updated' : 'memory.deleted',
          seed % 3
            ? { agentId: agent, memoryId: `mem${seed % 6}`, content: { text: text(seed + 1) }, ...(seed % 2 ? { vector: vec(seed, 4) } : {}) }
            : { agentId: agent, memoryId: `mem${seed % 6}` },
        );
        break;
    }
  }
  return out;
}

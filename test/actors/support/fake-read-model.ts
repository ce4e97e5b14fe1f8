import type { Subscription } from 'rxjs';
import { messageFromEvent } from '../../../src/app/commands/messages.ts';
import type { AnyRecordedEvent } from '../../../src/events/envelope.ts';
import type { EventStore } from '../../../src/events/store.ts';
import type { AgentView, FactView, KnowledgeHit, MessageView, ReadModel, RoomView } from '../../../src/projections/read-model.ts';

/**
 * An in-memory ReadModel fed by the log, for actor tests (the real one is src/projections). It follows
 * the same contract the agents rely on: after waitFor(seq), everything up to seq is readable.
 */
export class FakeReadModel implements ReadModel {
  private seq = 0;
  private readonly agents = new Map<string, AgentView>();
  private readonly rooms = new Map<string, RoomView>();
  private readonly messages = new Map<string, MessageView>();
  /** Per room, in seq order (appends arrive in seq order). */
  private readonly byRoom = new Map<string, MessageView[]>();
  private readonly chunks: { chunkId: string; documentId: string; agentId: string; title: string; text: string }[] = [];
  private readonly titles = new Map<string, string>();
  private readonly factList: FactView[] = [];
  private readonly waiters: { seq: number; resolve: () => void }[] = [];
  private sub?: Subscription;
  /** Every knowledge query, for assertions (text and whether a vector came with it). */
  readonly knowledgeQueries: { text: string; hasVector: boolean }[] = [];

  constructor(private readonly store: EventStore) {}

  start(): void {
    this.sub = this.store.subscribe(0).subscribe((e) => this.apply(e));
  }

  close(): void {
    this.sub?.unsubscribe();
  }

  waitFor = (seq: number): Promise<void> => {
    if (this.seq >= seq) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  };

  private apply(e: AnyRecordedEvent): void {
    const at = new Date(e.meta.timestamp).toISOString();
    switch (e.type) {
      case 'agent.created':
        this.agents.set(e.data.agentId, {
          id: e.data.agentId,
          name: e.data.name,
          status: 'stopped',
          character: e.data.character,
          createdAt: at,
          deleted: false,
        });
        break;
      case 'agent.updated': {
        const a = this.agents.get(e.data.agentId);
        if (a) this.agents.set(a.id, { ...a, name: e.data.name, character: e.data.character });
        break;
      }
      case 'agent.started':
      case 'agent.stopped': {
        const a = this.agents.get(e.data.agentId);
        if (a) this.agents.set(a.id, { ...a, status: e.type === 'agent.started' ? 'running' : 'stopped' });
        break;
      }
      case 'agent.deleted': {
        const a = this.agents.get(e.data.agentId);
        if (a) this.agents.set(a.id, { ...a, deleted: true });
        break;
      }
      case 'room.created':
        this.rooms.set(e.data.roomId, { id: e.data.roomId, name: e.data.name, createdAt: at, createdBy: e.data.createdBy, participants: [] });
        break;
      case 'room.participant_joined': {
        const r = this.rooms.get(e.data.roomId);
        if (r)
          r.participants = [...r.participants.filter((p) => p.id !== e.data.participantId), { id: e.data.participantId, kind: e.data.kind, name: e.data.name }];
        break;
      }
      case 'room.participant_left': {
        const r = this.rooms.get(e.data.roomId);
        if (r) r.participants = r.participants.filter((p) => p.id !== e.data.participantId);
        break;
      }
      case 'message.posted': {
        const view = messageFromEvent(e);
        this.messages.set(view.id, view);
        const list = this.byRoom.get(view.roomId) ?? [];
        list.push(view);
        this.byRoom.set(view.roomId, list);
        break;
      }
      case 'knowledge.document_added':
        this.titles.set(e.data.documentId, e.data.title);
        break;
      case 'knowledge.chunk_embedded':
        this.chunks.push({
          chunkId: e.data.chunkId,
          documentId: e.data.documentId,
          agentId: e.data.agentId,
          title: this.titles.get(e.data.documentId) ?? '',
          text: e.data.text,
        });
        break;
      case 'agent.fact_recorded':
        this.factList.push({ id: e.data.factId, agentId: e.data.agentId, roomId: e.data.roomId, text: e.data.text, createdAt: at });
        break;
      default:
        break;
    }
    this.seq = e.seq;
    for (let i = this.waiters.length - 1; i >= 0; i--)
      if (this.waiters[i].seq <= e.seq) {
        this.waiters[i].resolve();
        this.waiters.splice(i, 1);
      }
  }

  checkpoint = () => this.seq;
  accountById = () => undefined;
  credentialsByUsername = () => undefined;
  listAccounts = () => [];
  refreshToken = () => undefined;
  agentById = (id: string) => this.agents.get(id);
  agentByName = (name: string) => [...this.agents.values()].find((a) => a.name === name);
  listAgents = () => [...this.agents.values()];
  roomById = (id: string) => this.rooms.get(id);
  roomsOf = (pid: string) => [...this.rooms.values()].filter((r) => r.participants.some((p) => p.id === pid));
  isMember = (roomId: string, pid: string) => !!this.rooms.get(roomId)?.participants.some((p) => p.id === pid);
  messageById = (id: string) => this.messages.get(id);
  messageByClientId = () => undefined;
  listMessages(roomId: string, o: { beforeSeq?: number; afterSeq?: number; limit: number }): MessageView[] {
    const list = this.byRoom.get(roomId) ?? [];
    // Binary search for the end (seq < beforeSeq), then walk back.
    let hi = list.length;
    if (o.beforeSeq !== undefined) {
      let lo = 0;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (list[mid].seq < o.beforeSeq) lo = mid + 1;
        else hi = mid;
      }
    }
    const out: MessageView[] = [];
    for (let i = hi - 1; i >= 0 && out.length < o.limit; i--) {
      if (o.afterSeq !== undefined && list[i].seq <= o.afterSeq) break;
      out.push(list[i]);
    }
    return out.reverse();
  }
  searchMessages = () => [];
  listDocuments = (agentId: string) =>
    [...new Set(this.chunks.filter((c) => c.agentId === agentId).map((c) => c.documentId))].map((id) => ({
      id,
      agentId,
      title: this.titles.get(id) ?? '',
      chunks: 1,
      embeddedChunks: 1,
      status: 'ready' as const,
      createdAt: '',
    }));
  documentById = () => undefined;
  searchKnowledge(agentId: string, q: { text: string; vector?: Float32Array; k: number }): KnowledgeHit[] {
    this.knowledgeQueries.push({ text: q.text, hasVector: q.vector !== undefined });
    const words = new Set(q.text.toLowerCase().match(/\p{L}{3,}/gu) ?? []);
    return this.chunks
      .filter((c) => c.agentId === agentId)
      .map((c) => ({ c, score: (c.text.toLowerCase().match(/\p{L}{3,}/gu) ?? []).filter((w) => words.has(w)).length }))
      .filter((x) => x.score > 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, q.k)
      .map(({ c, score }) => ({ chunkId: c.chunkId, documentId: c.documentId, title: c.title, text: c.text, score }));
  }
  facts(agentId: string, o: { roomId?: string; limit: number }): FactView[] {
    return this.factList.filter((f) => f.agentId === agentId && (o.roomId === undefined || f.roomId === o.roomId)).slice(-o.limit);
  }
}

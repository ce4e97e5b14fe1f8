import { messageFromEvent } from '../../src/app/commands/messages.ts';
import type { AnyRecordedEvent } from '../../src/events/envelope.ts';
import type { EventStore } from '../../src/events/store.ts';
import type {
  AccountCredentials,
  AccountView,
  AgentView,
  FactView,
  KnowledgeDocumentView,
  KnowledgeHit,
  MessageView,
  ReadModel,
  RefreshTokenView,
  RetrievalQuery,
  RoomView,
  ScoredMessage,
} from '../../src/projections/read-model.ts';

/**
 * An in-memory ReadModel fed by the log, for the transport tests (the real projections live in
 * src/projections and are tested there). It follows the same event semantics.
 */
export class FakeReadModel implements ReadModel {
  private seq = 0;
  private waiters: { seq: number; resolve: () => void }[] = [];
  private readonly accounts = new Map<string, AccountView>();
  private readonly hashes = new Map<string, string>();
  private readonly tokens = new Map<string, { accountId: string; familyId: string; used: boolean }>();
  private readonly revoked = new Set<string>();
  private readonly agents = new Map<string, AgentView>();
  private readonly rooms = new Map<string, RoomView>();
  private readonly messages = new Map<string, MessageView>();
  private readonly byClient = new Map<string, string>();
  /** Per room, in seq order (events arrive in seq order), so reads do not scan every message. */
  private readonly roomMessages = new Map<string, MessageView[]>();
  private readonly docs = new Map<string, KnowledgeDocumentView & { removed?: boolean }>();
  private readonly chunks: { chunkId: string; documentId: string; text: string }[] = [];
  private sub?: { unsubscribe(): void };

  start(store: EventStore): void {
    this.sub = store.subscribe(0).subscribe((e) => this.apply(e));
  }
  stop(): void {
    this.sub?.unsubscribe();
  }

  waitFor(seq: number): Promise<void> {
    if (this.seq >= seq) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  }

  apply(e: AnyRecordedEvent): void {
    const at = new Date(e.meta.timestamp).toISOString();
    switch (e.type) {
      case 'account.registered':
        this.accounts.set(e.data.accountId, { id: e.data.accountId, username: e.data.username, name: e.data.name, role: e.data.role, createdAt: at });
        this.hashes.set(e.data.accountId, e.data.passwordHash);
        break;
      case 'account.role_changed': {
        const a = this.accounts.get(e.data.accountId);
        if (a) a.role = e.data.role;
        break;
      }
      case 'auth.refresh_issued':
        this.tokens.set(e.data.tokenHash, { accountId: e.data.accountId, familyId: e.data.familyId, used: false });
        break;
      case 'auth.refresh_used': {
        const t = this.tokens.get(e.data.tokenHash);
        if (t) t.used = true;
        break;
      }
      case 'auth.family_revoked':
        this.revoked.add(e.data.familyId);
        break;
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
        if (a) Object.assign(a, { name: e.data.name, character: e.data.character });
        break;
      }
      case 'agent.started':
      case 'agent.stopped': {
        const a = this.agents.get(e.data.agentId);
        if (a) a.status = e.type === 'agent.started' ? 'running' : 'stopped';
        break;
      }
      case 'agent.deleted': {
        const a = this.agents.get(e.data.agentId);
        if (a) a.deleted = true;
        break;
      }
      case 'room.created':
        this.rooms.set(e.data.roomId, { id: e.data.roomId, name: e.data.name, createdAt: at, createdBy: e.data.createdBy, participants: [] });
        break;
      case 'room.participant_joined': {
        const r = this.rooms.get(e.data.roomId);
        if (r && !r.participants.some((p) => p.id === e.data.participantId))
          r.participants.push({ id: e.data.participantId, kind: e.data.kind, name: e.data.name });
        break;
      }
      case 'room.participant_left': {
        const r = this.rooms.get(e.data.roomId);
        if (r) r.participants = r.participants.filter((p) => p.id !== e.data.participantId);
        break;
      }
      case 'message.posted':
        this.messages.set(e.data.messageId, messageFromEvent(e));
        {
          let list = this.roomMessages.get(e.data.roomId);
          if (!list) this.roomMessages.set(e.data.roomId, (list = []));
          list.push(this.messages.get(e.data.messageId)!);
        }
        if (e.data.clientMessageId) this.byClient.set(`${e.data.authorId}\u0000${e.data.clientMessageId}`, e.data.messageId);
        break;
      case 'knowledge.document_added':
        this.docs.set(e.data.documentId, {
          id: e.data.documentId,
          agentId: e.data.agentId,
          title: e.data.title,
          chunks: e.data.totalChunks,
          embeddedChunks: 0,
          status: 'ingesting',
          createdAt: at,
        });
        break;
      case 'knowledge.chunk_embedded':
        this.chunks.push({ chunkId: e.data.chunkId, documentId: e.data.documentId, text: e.data.text });
        if (this.docs.has(e.data.documentId)) this.docs.get(e.data.documentId)!.embeddedChunks++;
        break;
      case 'knowledge.document_ready': {
        const d = this.docs.get(e.data.documentId);
        if (d) d.status = 'ready';
        break;
      }
      case 'knowledge.document_removed':
        this.docs.delete(e.data.documentId);
        break;
      default:
        break;
    }
    this.seq = e.seq;
    const ready = this.waiters.filter((w) => w.seq <= this.seq);
    this.waiters = this.waiters.filter((w) => w.seq > this.seq);
    for (const w of ready) w.resolve();
  }

  checkpoint(): number {
    return this.seq;
  }
  accountById(id: string) {
    return this.accounts.get(id) && { ...this.accounts.get(id)! };
  }
  credentialsByUsername(username: string): AccountCredentials | undefined {
    const a = [...this.accounts.values()].find((x) => x.username === username);
    return a && { account: { ...a }, passwordHash: this.hashes.get(a.id)! };
  }
  listAccounts() {
    return [...this.accounts.values()].map((a) => ({ ...a }));
  }
  refreshToken(tokenHash: string): RefreshTokenView | undefined {
    const t = this.tokens.get(tokenHash);
    return t && { tokenHash, ...t, familyRevoked: this.revoked.has(t.familyId) };
  }
  agentById(id: string) {
    return this.agents.get(id) && { ...this.agents.get(id)! };
  }
  agentByName(name: string) {
    const a = [...this.agents.values()].find((x) => x.name === name && !x.deleted);
    return a && { ...a };
  }
  listAgents() {
    return [...this.agents.values()].map((a) => ({ ...a }));
  }
  roomById(id: string) {
    const r = this.rooms.get(id);
    return r && { ...r, participants: r.participants.map((p) => ({ ...p })) };
  }
  roomsOf(participantId: string) {
    return [...this.rooms.values()].filter((r) => r.participants.some((p) => p.id === participantId)).map((r) => this.roomById(r.id)!);
  }
  isMember(roomId: string, participantId: string) {
    return this.rooms.get(roomId)?.participants.some((p) => p.id === participantId) ?? false;
  }
  messageById(id: string) {
    return this.messages.get(id);
  }
  messageByClientId(authorId: string, clientMessageId: string) {
    const id = this.byClient.get(`${authorId}\u0000${clientMessageId}`);
    return id ? this.messages.get(id) : undefined;
  }
  listMessages(roomId: string, o: { beforeSeq?: number; afterSeq?: number; limit: number }) {
    const list = this.roomMessages.get(roomId) ?? [];
    if (o.afterSeq !== undefined) {
      const out: MessageView[] = [];
      for (const m of list) if (m.seq > o.afterSeq && (o.beforeSeq === undefined || m.seq < o.beforeSeq) && out.push(m) >= o.limit) break;
      return out;
    }
    let end = list.length;
    if (o.beforeSeq !== undefined) while (end > 0 && list[end - 1].seq >= o.beforeSeq) end--;
    return list.slice(Math.max(0, end - o.limit), end);
  }
  searchMessages(roomId: string, q: RetrievalQuery): ScoredMessage[] {
    const words = q.text.toLowerCase().split(/\W+/).filter(Boolean);
    return (this.roomMessages.get(roomId) ?? [])
      .map((m) => ({ message: m, score: words.filter((w) => m.text.toLowerCase().includes(w)).length / Math.max(1, words.length) }))
      .filter((r) => r.score > 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, q.k);
  }
  listDocuments(agentId: string) {
    return [...this.docs.values()].filter((d) => d.agentId === agentId);
  }
  documentById(id: string) {
    return this.docs.get(id);
  }
  searchKnowledge(agentId: string, q: RetrievalQuery): KnowledgeHit[] {
    const words = q.text.toLowerCase().split(/\W+/).filter(Boolean);
    return this.chunks
      .filter((c) => this.docs.get(c.documentId)?.agentId === agentId)
      .map((c) => ({
        chunkId: c.chunkId,
        documentId: c.documentId,
        title: this.docs.get(c.documentId)!.title,
        text: c.text,
        score: words.filter((w) => c.text.toLowerCase().includes(w)).length / Math.max(1, words.length),
      }))
      .filter((h) => h.score > 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, q.k);
  }
  facts(): FactView[] {
    return [];
  }
}

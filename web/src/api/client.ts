import { ApiError, errorFromResponse } from './errors.ts';
import { clearSession, loadSession, saveSession, sessionFrom, type Session } from './session.ts';
import type {
  Account,
  ActorMachine,
  ActorNode,
  Agent,
  CharacterKnowledgeReport,
  ConversionReport,
  KnowledgeDocument,
  KnowledgeHit,
  LogEvent,
  Message,
  ReaskResult,
  Room,
  TokenPair,
} from './types.ts';

type Query = Record<string, string | number | undefined>;

/**
 * REST client of /api/v1. Every call carries the access token; on a 401 the refresh token is used
 * once (one refresh shared by every call waiting on it, since a refresh token works only once) and
 * the call retried; if the refresh fails the session ends and `onSignedOut` sends the person to login.
 */
export class ApiClient {
  private refreshing: Promise<boolean> | undefined;
  session: Session | undefined;

  constructor(
    session: Session | undefined,
    private readonly onSessionChange: (s: Session | undefined) => void,
    private readonly base = '',
  ) {
    this.session = session;
  }

  // ── auth ────────────────────────────────────────────────────────────────────────────────────
  async login(username: string, password: string, persistent: boolean): Promise<Session> {
    const pair = await this.raw<TokenPair>('POST', '/api/v1/auth/login', { username, password });
    return this.adopt(pair, persistent);
  }

  async register(username: string, password: string, name: string | undefined, persistent: boolean): Promise<Session> {
    const pair = await this.raw<TokenPair>('POST', '/api/v1/auth/register', { username, password, ...(name ? { name } : {}) });
    return this.adopt(pair, persistent);
  }

  /** Forgets the session; `revoke` (the Sign out button) also ends it on the server so its refresh token dies. */
  signOut(revoke = false): void {
    const refreshToken = this.session?.refreshToken;
    if (revoke && refreshToken) void this.send('POST', '/api/v1/auth/logout', { refreshToken }, undefined).catch(() => undefined);
    this.session = undefined;
    clearSession();
    this.onSessionChange(undefined);
  }

  /** A token for the WebSocket, refreshed first when the last one was refused. */
  async freshToken(forceRefresh: boolean): Promise<string | undefined> {
    if (forceRefresh && !(await this.refresh())) return undefined;
    return this.session?.accessToken;
  }

  // ── resources ───────────────────────────────────────────────────────────────────────────────
  me = () => this.call<{ account: Account }>('GET', '/api/v1/accounts/me');
  agents = () => this.call<{ agents: Agent[] }>('GET', '/api/v1/agents').then((r) => r.agents);
  /** The agent, and what became of its character's `knowledge` (absent when it has none). */
  /** A character of either ElizaOS generation; `conversion` says how the server read it. */
  createAgent = (character: unknown) =>
    this.call<{ agent: Agent; conversion?: ConversionReport; knowledge?: CharacterKnowledgeReport }>('POST', '/api/v1/agents', character);
  patchAgent = (id: string, patch: unknown) =>
    this.call<{ agent: Agent; conversion?: ConversionReport; changed?: boolean }>('PATCH', `/api/v1/agents/${enc(id)}`, patch);
  deleteAgent = (id: string) => this.call<void>('DELETE', `/api/v1/agents/${enc(id)}`);
  startAgent = (id: string) => this.call<{ agent: Agent }>('POST', `/api/v1/agents/${enc(id)}/start`).then((r) => r.agent);
  stopAgent = (id: string) => this.call<{ agent: Agent }>('POST', `/api/v1/agents/${enc(id)}/stop`).then((r) => r.agent);

  rooms = () => this.call<{ rooms: Room[] }>('GET', '/api/v1/rooms').then((r) => r.rooms);
  room = (id: string) => this.call<{ room: Room }>('GET', `/api/v1/rooms/${enc(id)}`).then((r) => r.room);
  createRoom = (name: string, agentIds: string[]) => this.call<{ room: Room }>('POST', '/api/v1/rooms', { name, agentIds }).then((r) => r.room);
  messages = (roomId: string, q: { before?: number; limit?: number } = {}) =>
    this.call<{ messages: Message[] }>('GET', `/api/v1/rooms/${enc(roomId)}/messages`, undefined, q).then((r) => r.messages);
  postMessage = (roomId: string, text: string, clientMessageId: string) =>
    this.call<{ message: Message }>('POST', '/api/v1/messages', { roomId, text, clientMessageId }).then((r) => r.message);
  /** A branch of the room holding its history up to and including `atMessageId`. */
  forkRoom = (roomId: string, body: { atMessageId: string; name?: string }) =>
    this.call<{ room: Room }>('POST', `/api/v1/rooms/${enc(roomId)}/fork`, body).then((r) => r.room);
  /** Asks a reply's question again in a branch (operators); the new reply arrives there later. */
  reask = (replyId: string, body: { model?: string; character?: Record<string, unknown> }) =>
    this.call<ReaskResult>('POST', `/api/v1/replies/${enc(replyId)}/reask`, body);

  /** The documents, and whether this server fetches documents by URL (KNOWLEDGE_URL_ALLOW set; absent from older servers). */
  knowledge = (agentId: string) => this.call<{ documents: KnowledgeDocument[]; urlAllowed?: boolean }>('GET', `/api/v1/agents/${enc(agentId)}/knowledge`);
  addKnowledge = (agentId: string, title: string, text: string) =>
    this.call<{ document: KnowledgeDocument }>('POST', `/api/v1/agents/${enc(agentId)}/knowledge`, { title, text }).then((r) => r.document);
  /** Fetched by the server (only from the hosts its operator allows in KNOWLEDGE_URL_ALLOW). */
  addKnowledgeUrl = (agentId: string, title: string, url: string) =>
    this.call<{ document: KnowledgeDocument }>('POST', `/api/v1/agents/${enc(agentId)}/knowledge`, { title, url }).then((r) => r.document);
  /** A PDF (or a text/Markdown file sent as it is): the server reads its text. */
  addKnowledgeFile = (agentId: string, title: string, file: { contentType: 'application/pdf' | 'text/markdown' | 'text/plain'; base64: string }) =>
    this.call<{ document: KnowledgeDocument }>('POST', `/api/v1/agents/${enc(agentId)}/knowledge`, { title, file }).then((r) => r.document);
  deleteKnowledge = (agentId: string, docId: string) => this.call<void>('DELETE', `/api/v1/agents/${enc(agentId)}/knowledge/${enc(docId)}`);
  searchKnowledge = (agentId: string, q: string, k = 5) =>
    this.call<{ results: KnowledgeHit[] }>('GET', `/api/v1/agents/${enc(agentId)}/knowledge/search`, undefined, { q, k }).then((r) => r.results);

  events = (q: { after?: number; limit?: number; stream?: string; type?: string }) =>
    this.call<{ events: LogEvent[] }>('GET', '/api/v1/events', undefined, q).then((r) => r.events);
  health = () => this.call<{ status: string; seq: number; uptimeS: number }>('GET', '/api/v1/health');
  actors = () => this.call<{ actors: ActorNode[] }>('GET', '/api/v1/actors').then((r) => r.actors);
  actorMachine = (id: string) => this.call<ActorMachine>('GET', `/api/v1/actors/${enc(id)}/machine`);
  /** As-of reads (time travel): a server that has them echoes `asOf`; one that ignores the parameter does not. */
  actorsAsOf = (asOf: number) => this.call<{ actors: ActorNode[]; asOf?: number }>('GET', '/api/v1/actors', undefined, { asOf });
  messagesAsOf = (roomId: string, asOf: number, limit = 100) =>
    this.call<{ messages: Message[]; asOf?: number }>('GET', `/api/v1/rooms/${enc(roomId)}/messages`, undefined, { asOf, limit });

  // ── plumbing ────────────────────────────────────────────────────────────────────────────────
  private async call<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    const url = path + queryString(query);
    const res = await this.send(method, url, body, this.session?.accessToken);
    if (res.status === 401 && this.session) {
      if (!(await this.refresh())) throw new ApiError(401, 'session_expired', 'Your session has ended; please sign in again');
      return this.parse<T>(await this.send(method, url, body, this.session?.accessToken));
    }
    return this.parse<T>(res);
  }

  private async raw<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.parse<T>(await this.send(method, path, body, undefined));
  }

  private send(method: string, url: string, body: unknown, token: string | undefined): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    return fetch(this.base + url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }).catch((err: unknown) => {
      throw new ApiError(0, 'network', `Cannot reach the server (${err instanceof Error ? err.message : String(err)})`);
    });
  }

  private async parse<T>(res: Response): Promise<T> {
    if (!res.ok) {
      const err = await errorFromResponse(res);
      if (res.status === 401 && this.session) this.signOut();
      throw err;
    }
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  /** Uses the refresh token once; concurrent callers share the same attempt. */
  private refresh(): Promise<boolean> {
    this.refreshing ??= (async () => {
      const s = this.session;
      if (!s) return false;
      // Another tab sharing localStorage may have rotated the pair already: using our old refresh
      // token would be a reuse (and revoke the family), so take the newer pair instead.
      const stored = loadSession();
      if (stored && stored.account.id === s.account.id && stored.refreshToken !== s.refreshToken) {
        this.session = stored;
        this.onSessionChange(stored);
        return true;
      }
      try {
        const res = await this.send('POST', '/api/v1/auth/refresh', { refreshToken: s.refreshToken }, undefined);
        if (!res.ok) throw await errorFromResponse(res);
        const pair = (await res.json()) as TokenPair;
        this.adopt(pair, s.persistent, s.account);
        return true;
      } catch {
        this.signOut();
        return false;
      }
    })().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private adopt(pair: TokenPair, persistent: boolean, previous?: Account): Session {
    const account = pair.account ?? previous;
    if (!account) throw new ApiError(0, 'bad_answer', 'The server answered without an account');
    const s = sessionFrom(pair, account, persistent);
    this.session = s;
    saveSession(s);
    this.onSessionChange(s);
    return s;
  }
}

const enc = encodeURIComponent;

function queryString(q: Query | undefined): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

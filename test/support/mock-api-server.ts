import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * A small in-memory server that follows /work/shared/API.md closely enough for the web client's UI
 * tests: auth with one-use refresh tokens and short-lived access tokens, agents, rooms, messages,
 * knowledge, the event log, the actor graph, and /ws with replayed subscriptions and replies streamed
 * as reply.delta frames before their final message. It also serves web/dist at / like the real server.
 * It is NOT the real server: the e2e test against src/app/chronicle.ts covers that.
 */

interface Account {
  id: string;
  username: string;
  name: string;
  role: 'user' | 'operator' | 'admin';
  createdAt: string;
  password: string;
}
interface Agent {
  id: string;
  name: string;
  status: 'running' | 'stopped';
  character: Record<string, unknown>;
  createdAt: string;
}
interface Room {
  id: string;
  name: string;
  createdAt: string;
  members: Set<string>;
  agents: Set<string>;
  forkOf?: { roomId: string; atMessageId?: string; atSeq: number };
}
interface Message {
  id: string;
  seq: number;
  roomId: string;
  authorId: string;
  authorKind: 'user' | 'agent';
  text: string;
  inReplyTo?: string;
  createdAt: string;
}
interface Doc {
  id: string;
  agentId: string;
  title: string;
  text: string;
  chunks: number /** Chunks embedded so far while ingesting; undefined once ready. */;
  embedded?: number;
}
interface Ev {
  seq: number;
  id: string;
  stream: string;
  version: number;
  type: string;
  data: Record<string, unknown>;
  meta: Record<string, unknown>;
}

export interface MockOptions {
  /** Access-token lifetime in ms (short to exercise refresh). */
  accessTtlMs?: number;
  /** Role given to registered accounts (default user). */
  registerRole?: Account['role'];
  /** Delay between streamed reply tokens, ms. */
  tokenDelayMs?: number;
  webRoot?: string;
  /** Hosts `{title, url}` may fetch from, as KNOWLEDGE_URL_ALLOW (default docs.example.com; [] = off). */
  knowledgeUrlAllow?: string[];
}

export interface MockServer {
  url: string;
  /** Closes every open WebSocket as a network drop would (code 1006-like: terminate). */
  dropSockets(): void;
  /** Refuses new WebSocket connections while true (to hold the client offline). */
  setRefuseSockets(v: boolean): void;
  /** Posts a message as if from another client (e.g. while the page is offline). */
  postAs(username: string, roomId: string, text: string): Message;
  socketCount(): number;
  /** Adds an agent directly (as another operator would); its id. */
  addAgent(character: Record<string, unknown>): string;
  /** The agent's character as stored, secrets included (which the API never returns). */
  storedCharacter(name: string): Record<string, unknown> | undefined;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems?: { path: string; message: string }[],
  ) {
    super(message);
  }
}

/** A 400 naming every offending field, as the server's parseInput does. */
function refuse(problems: { path: string; message: string }[]): void {
  if (problems.length) throw new HttpError(400, 'validation_error', `invalid body: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems);
}
const blank = (v: unknown) => typeof v !== 'string' || !v.trim();

/** The agent as the API shows it: `secrets` and `settings.secrets` never leave the server. */
function agentOut(a: Agent): Agent {
  const { secrets: _s, ...character } = a.character;
  const settings = character.settings as Record<string, unknown> | undefined;
  if (settings && 'secrets' in settings) {
    const { secrets: _ss, ...rest } = settings;
    character.settings = rest;
  }
  return { ...a, character };
}

export async function startMockApiServer(opts: MockOptions = {}): Promise<MockServer> {
  const accessTtl = opts.accessTtlMs ?? 15 * 60_000;
  const urlAllow = opts.knowledgeUrlAllow ?? ['docs.example.com'];
  const webRoot = resolve(opts.webRoot ?? 'web/dist');
  const now = () => new Date().toISOString();
  const accounts = new Map<string, Account>();
  const access = new Map<string, { accountId: string; exp: number }>();
  const refresh = new Map<string, { accountId: string; used: boolean }>();
  const agents = new Map<string, Agent>();
  const rooms = new Map<string, Room>();
  const messages: Message[] = [];
  const docs = new Map<string, Doc>();
  const events: Ev[] = [];
  const sockets = new Set<{ ws: WebSocket; accountId: string; rooms: Set<string> }>();
  let refuseSockets = false;
  const timers = new Set<ReturnType<typeof setTimeout>>();

  const append = (stream: string, type: string, data: Record<string, unknown>) => {
    const version = events.filter((e) => e.stream === stream).length + 1;
    const e: Ev = { seq: events.length + 1, id: randomUUID(), stream, version, type, data, meta: { at: now() } };
    events.push(e);
    return e;
  };
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  function addAccount(username: string, password: string, role: Account['role'], name?: string): Account {
    const a: Account = { id: randomUUID(), username, name: name ?? username, role, createdAt: now(), password };
    accounts.set(a.id, a);
    append(`account-${a.id}`, 'account.registered', { accountId: a.id, username, role });
    return a;
  }
  function addAgent(character: Record<string, unknown>): Agent {
    const a: Agent = { id: randomUUID(), name: String(character.name), status: 'running', character, createdAt: now() };
    agents.set(a.id, a);
    append(`agent-${a.id}`, 'agent.created', { agentId: a.id, name: a.name });
    return a;
  }
  addAccount('admin', 'admin-password', 'admin', 'Administrator');
  addAgent({ name: 'Eliza', bio: ['The default agent.'] });

  const pub = (a: Account) => ({ id: a.id, username: a.username, name: a.name, role: a.role, createdAt: a.createdAt });
  const pair = (a: Account) => {
    const accessToken = randomUUID();
    const refreshToken = randomUUID();
    access.set(accessToken, { accountId: a.id, exp: Date.now() + accessTtl });
    refresh.set(refreshToken, { accountId: a.id, used: false });
    return { account: pub(a), accessToken, refreshToken, expiresIn: Math.round(accessTtl / 1000) };
  };
  const roomView = (r: Room) => ({
    id: r.id,
    name: r.name,
    createdAt: r.createdAt,
    participants: [
      ...[...r.members].map((id) => ({ id, kind: 'user', name: accounts.get(id)?.name ?? id })),
      ...[...r.agents].map((id) => ({ id, kind: 'agent', name: agents.get(id)?.name ?? id })),
    ],
    ...(r.forkOf ? { forkOf: r.forkOf } : {}),
  });
  /** A room's history: a branch's is its source's up to the fork (by reference), then its own. */
  const historyOf = (r: Room): Message[] => [
    ...(r.forkOf ? historyOf(rooms.get(r.forkOf.roomId)!).filter((x) => x.seq <= r.forkOf!.atSeq) : []),
    ...messages.filter((x) => x.roomId === r.id),
  ];
  const toRoom = (roomId: string, frame: unknown) => {
    const text = JSON.stringify(frame);
    for (const s of sockets) if (s.rooms.has(roomId)) s.ws.send(text);
  };

  function post(roomId: string, authorId: string, authorKind: Message['authorKind'], text: string, inReplyTo?: string): Message {
    const e = append(`room-${roomId}`, 'message.posted', { messageId: '', roomId, authorId, authorKind, text, inReplyTo });
    const m: Message = { id: randomUUID(), seq: e.seq, roomId, authorId, authorKind, text, inReplyTo, createdAt: now() };
    e.data.messageId = m.id;
    messages.push(m);
    toRoom(roomId, { type: 'message', message: m });
    if (authorKind === 'user') for (const agentId of rooms.get(roomId)!.agents) reply(agentId, m);
    return m;
  }

  /** The agent "types", streams its answer word by word, then posts it and records its trace. */
  function reply(agentId: string, m: Message) {
    const agent = agents.get(agentId);
    if (!agent || agent.status !== 'running') return;
    const model = (agent.character.settings as Record<string, unknown> | undefined)?.TEXT_LARGE_MODEL as string | undefined;
    const text = `${model ? `[${model}] ` : ''}You said: ${m.text}`;
    const words = text.split(/(?<= )/);
    const delay = opts.tokenDelayMs ?? 30;
    later(delay, () => toRoom(m.roomId, { type: 'typing', roomId: m.roomId, agentId }));
    words.forEach((w, i) => later(delay * (i + 2), () => toRoom(m.roomId, { type: 'reply.delta', roomId: m.roomId, agentId, replyTo: m.id, delta: w })));
    later(delay * (words.length + 3), () => {
      const r = post(m.roomId, agentId, 'agent', text, m.id);
      append(`room-${m.roomId}`, 'reply.traced', {
        agentId,
        roomId: m.roomId,
        messageId: m.id,
        replyId: r.id,
        provider: 'mock',
        model: model ?? 'echo-1',
        usage: { promptTokens: 12, completionTokens: words.length },
        latencyMs: 42,
        sources: { messageIds: [m.id], knowledgeChunkIds: [], factIds: [] },
        providers: [{ name: 'TIME', sha256: 'a'.repeat(64), chars: 30 }],
        actions: ['REPLY'],
      });
    });
  }

  function authed(req: IncomingMessage): Account {
    const h = req.headers.authorization ?? '';
    const t = access.get(h.replace(/^Bearer /, ''));
    if (!t || t.exp < Date.now()) throw new HttpError(401, 'unauthorized', 'missing, invalid or expired token');
    return accounts.get(t.accountId)!;
  }
  const operator = (a: Account) => {
    if (a.role === 'user') throw new HttpError(403, 'forbidden', 'operator role required');
  };
  const member = (a: Account, roomId: string) => {
    const r = rooms.get(roomId);
    if (!r || !r.members.has(a.id)) throw new HttpError(404, 'not_found', 'room not found');
    return r;
  };
  const agentOr404 = (id: string) => {
    const a = agents.get(id);
    if (!a) throw new HttpError(404, 'not_found', 'agent not found');
    return a;
  };

  async function route(req: IncomingMessage, url: URL, body: any): Promise<[number, unknown]> {
    const p = url.pathname;
    const m = req.method;
    let g: RegExpExecArray | null;
    if (m === 'GET' && p === '/api/v1/health') return [200, { status: 'ok', seq: events.length, uptimeS: 1 }];
    if (m === 'POST' && p === '/api/v1/auth/register') {
      if (typeof body?.username !== 'string' || !/^[a-z0-9_.-]{3,40}$/i.test(body.username))
        throw new HttpError(400, 'bad_request', 'username must be 3 to 40 letters, digits, _ . or -');
      if (typeof body.password !== 'string' || body.password.length < 8) throw new HttpError(400, 'bad_request', 'password must be at least 8 characters');
      if ([...accounts.values()].some((a) => a.username === body.username)) throw new HttpError(409, 'conflict', 'username taken');
      return [201, pair(addAccount(body.username, body.password, opts.registerRole ?? 'user', body.name))];
    }
    if (m === 'POST' && p === '/api/v1/auth/login') {
      const a = [...accounts.values()].find((x) => x.username === body?.username && x.password === body?.password);
      if (!a) throw new HttpError(401, 'invalid_credentials', 'wrong username or password');
      return [200, pair(a)];
    }
    if (m === 'POST' && p === '/api/v1/auth/refresh') {
      const r = refresh.get(body?.refreshToken);
      if (!r || r.used) throw new HttpError(401, 'invalid_refresh_token', 'refresh token invalid or already used');
      r.used = true;
      return [200, pair(accounts.get(r.accountId)!)];
    }
    const me = authed(req);
    if (m === 'GET' && p === '/api/v1/accounts/me') return [200, { account: pub(me) }];
    if (m === 'GET' && p === '/api/v1/agents') return [200, { agents: [...agents.values()].map(agentOut) }];
    if (m === 'POST' && p === '/api/v1/agents') {
      operator(me);
      if (typeof body?.name !== 'string' || !body.name) throw new HttpError(400, 'invalid_character', 'character.name: expected a non-empty string');
      if ([...agents.values()].some((a) => a.name === body.name)) throw new HttpError(409, 'conflict', `an agent named ${body.name} exists`);
      const agent = agentOut(addAgent(body));
      if (!Array.isArray(body.knowledge) || body.knowledge.length === 0) return [201, { agent }];
      // As the server does: text items become documents, file items are listed as skipped.
      const documents = body.knowledge
        .filter((k: unknown) => typeof k === 'string')
        .map((text: string, i: number) => ({ id: randomUUID(), title: text.slice(0, 80), origin: `knowledge[${i}]`, chunks: 1, alreadyKnown: false }));
      const skipped = body.knowledge
        .filter((k: unknown) => typeof k !== 'string')
        .map((k: { path?: string; directory?: string }) => ({
          item: k.path ? `{path: ${k.path}}` : `{directory: ${k.directory}}`,
          reason: 'files are only read by `chronicle agent create --character FILE`',
        }));
      return [201, { agent, knowledge: { documents, skipped, failed: [] } }];
    }
    if ((g = /^\/api\/v1\/agents\/([^/]+)$/.exec(p))) {
      const a = agentOr404(g[1]);
      if (m === 'GET') return [200, { agent: agentOut(a) }];
      operator(me);
      if (m === 'PATCH') {
        // As the server merges: top-level fields replace; settings sent without secrets keep the stored ones.
        const kept = (a.character.settings as Record<string, unknown> | undefined)?.secrets;
        const settings =
          body?.settings && typeof body.settings === 'object' && !('secrets' in body.settings) && kept ? { ...body.settings, secrets: kept } : body?.settings;
        const before = JSON.stringify(a.character);
        a.character = { ...a.character, ...body, ...(settings ? { settings } : {}) };
        a.name = String(a.character.name);
        const changed = JSON.stringify(a.character) !== before;
        if (changed) append(`agent-${a.id}`, 'agent.updated', { agentId: a.id, name: a.name });
        return [200, { agent: agentOut(a), changed }];
      }
      if (m === 'DELETE') {
        agents.delete(a.id);
        append(`agent-${a.id}`, 'agent.deleted', { agentId: a.id });
        return [204, undefined];
      }
    }
    if (m === 'POST' && (g = /^\/api\/v1\/agents\/([^/]+)\/(start|stop)$/.exec(p))) {
      operator(me);
      const a = agentOr404(g[1]);
      a.status = g[2] === 'start' ? 'running' : 'stopped';
      append(`agent-${a.id}`, g[2] === 'start' ? 'agent.started' : 'agent.stopped', { agentId: a.id });
      return [200, { agent: agentOut(a) }];
    }
    if ((g = /^\/api\/v1\/agents\/([^/]+)\/knowledge(?:\/([^/]+))?$/.exec(p))) {
      operator(me);
      const a = agentOr404(g[1]);
      if (m === 'GET' && g[2] === 'search') {
        const q = (url.searchParams.get('q') ?? '').toLowerCase();
        const results = [...docs.values()]
          .filter((d) => d.agentId === a.id && q.split(/\s+/).some((w) => w && d.text.toLowerCase().includes(w)))
          .map((d) => ({ documentId: d.id, title: d.title, text: d.text.slice(0, 200), score: 0.9 }));
        return [200, { results }];
      }
      if (m === 'GET' && !g[2]) {
        const listed = [...docs.values()].filter((d) => d.agentId === a.id);
        return [
          200,
          {
            documents: listed.map(({ id, title, chunks, embedded }) => ({
              id,
              title,
              chunks,
              embeddedChunks: embedded ?? chunks,
              status: embedded === undefined ? 'ready' : 'ingesting',
            })),
            urlAllowed: urlAllow.length > 0,
          },
        ];
      }
      if (m === 'POST' && !g[2]) {
        if (typeof body?.url === 'string') {
          // As a server with KNOWLEDGE_URL_ALLOW=docs.example.com would answer.
          if (!urlAllow.includes(new URL(body.url).hostname))
            throw new HttpError(400, 'validation_error', `url: ${new URL(body.url).origin} is not in KNOWLEDGE_URL_ALLOW`);
          body.text = `Fetched from ${body.url}`;
        }
        refuse([
          ...(blank(body?.title) ? [{ path: 'title', message: 'must not be empty' }] : []),
          ...(blank(body?.text) ? [{ path: 'text', message: 'must not be empty' }] : []),
        ]);
        const d: Doc = { id: randomUUID(), agentId: a.id, title: body.title, text: body.text, chunks: Math.max(1, Math.ceil(body.text.length / 500)) };
        docs.set(d.id, d);
        // A title starting with "Slow" ingests over ~3 s, 3 of its chunks embedded after the first second.
        if (body.title.startsWith('Slow')) {
          d.embedded = 0;
          await new Promise((r) => setTimeout(r, 1000));
          d.embedded = Math.min(3, d.chunks);
          await new Promise((r) => setTimeout(r, 2000));
          d.embedded = undefined;
        }
        append(`document-${d.id}`, 'knowledge.document_added', { documentId: d.id, agentId: a.id, title: d.title });
        return [201, { document: { id: d.id, title: d.title, chunks: d.chunks } }];
      }
      if (m === 'DELETE' && g[2]) {
        if (!docs.delete(g[2])) throw new HttpError(404, 'not_found', 'document not found');
        return [204, undefined];
      }
    }
    if (p === '/api/v1/rooms' && m === 'GET') return [200, { rooms: [...rooms.values()].filter((r) => r.members.has(me.id)).map(roomView) }];
    if (p === '/api/v1/rooms' && m === 'POST') {
      refuse([
        ...(blank(body?.name) ? [{ path: 'name', message: 'must not be empty' }] : []),
        ...(Array.isArray(body?.agentIds) && body.agentIds.length > 50 ? [{ path: 'agentIds', message: 'at most 50 agents' }] : []),
      ]);
      const ids: string[] = body.agentIds ?? [];
      for (const id of ids) agentOr404(id);
      const r: Room = { id: randomUUID(), name: body.name, createdAt: now(), members: new Set([me.id]), agents: new Set(ids) };
      rooms.set(r.id, r);
      append(`room-${r.id}`, 'room.created', { roomId: r.id, name: r.name, createdBy: me.id });
      return [201, { room: roomView(r) }];
    }
    if (m === 'GET' && (g = /^\/api\/v1\/rooms\/([^/]+)$/.exec(p))) return [200, { room: roomView(member(me, g[1])) }];
    if (m === 'GET' && (g = /^\/api\/v1\/rooms\/([^/]+)\/messages$/.exec(p))) {
      const r = member(me, g[1]);
      const before = Number(url.searchParams.get('before') ?? Infinity);
      const limit = Number(url.searchParams.get('limit') ?? 50);
      // As-of reads (docs/API.md, "Time travel"): the room's messages as the log stood at asOf, echoed.
      const asOf = url.searchParams.has('asOf') ? Number(url.searchParams.get('asOf')) : undefined;
      if (asOf !== undefined && !(Number.isInteger(asOf) && asOf >= 0 && asOf <= events.length))
        throw new HttpError(400, 'validation_error', 'asOf must be an integer from 0 to the head');
      const list = historyOf(r).filter((x) => x.seq < before && (asOf === undefined || x.seq <= asOf));
      return [200, { messages: list.slice(-limit), ...(asOf !== undefined ? { asOf } : {}) }];
    }
    // Branches and re-asks (docs/API.md, "Time travel and forks"), shaped as the real routes answer.
    if (m === 'POST' && (g = /^\/api\/v1\/rooms\/([^/]+)\/fork$/.exec(p))) {
      const src = member(me, g[1]);
      const at = historyOf(src).find((x) => x.id === body?.atMessageId);
      if (!at) throw new HttpError(400, 'validation_error', `atMessageId: ${String(body?.atMessageId)} is not a message of room ${src.id}`);
      const r: Room = {
        id: randomUUID(),
        name: body.name ?? `${src.name} (branch)`,
        createdAt: now(),
        members: new Set(src.members),
        agents: new Set(src.agents),
        forkOf: { roomId: src.id, atMessageId: at.id, atSeq: at.seq },
      };
      rooms.set(r.id, r);
      append(`room-${r.id}`, 'room.forked', { roomId: r.id, name: r.name, sourceRoomId: src.id, atMessageId: at.id, atSeq: at.seq });
      return [201, { room: roomView(r) }];
    }
    if (m === 'POST' && (g = /^\/api\/v1\/replies\/([^/]+)\/reask$/.exec(p))) {
      operator(me);
      if (body?.model !== undefined && (typeof body.model !== 'string' || !body.model.trim() || body.model.length > 200))
        refuse([{ path: 'model', message: 'must be 1 to 200 characters' }]);
      const reply = messages.find((x) => x.id === g![1] && x.authorKind === 'agent');
      const question = reply && messages.find((x) => x.id === reply.inReplyTo);
      if (!reply || !question) throw new HttpError(404, 'not_found', 'reply not found');
      const src = member(me, reply.roomId);
      const sourceTrace = events.find((e) => e.type === 'reply.traced' && e.data.replyId === reply.id)?.data;
      if (!sourceTrace) throw new HttpError(400, 'bad_request', `reply ${reply.id} has no reply.traced: nothing to re-ask`);
      const from = agentOr404(reply.authorId);
      const settings = { ...(from.character.settings as object), ...(body.model ? { TEXT_LARGE_MODEL: body.model } : {}) };
      const fork = addAgent({ ...from.character, ...(body.character ?? {}), name: `${from.name} (re-ask)`, settings });
      const r: Room = {
        id: randomUUID(),
        name: `${src.name} (re-ask)`,
        createdAt: now(),
        members: new Set(src.members),
        agents: new Set([fork.id]),
        forkOf: { roomId: src.id, atSeq: question.seq - 1 },
      };
      rooms.set(r.id, r);
      append(`room-${r.id}`, 'room.forked', { roomId: r.id, name: r.name, sourceRoomId: src.id, atSeq: question.seq - 1 });
      const copy = post(r.id, question.authorId, 'user', question.text);
      return [202, { roomId: r.id, agentId: fork.id, questionId: copy.id, sourceReplyId: reply.id, sourceRoomId: src.id, sourceTrace }];
    }
    if (m === 'POST' && p === '/api/v1/messages') {
      const r = member(me, body?.roomId);
      if (typeof body.text !== 'string' || !body.text.trim()) throw new HttpError(400, 'bad_request', 'text must not be empty');
      return [202, { message: post(r.id, me.id, 'user', body.text) }];
    }
    if (m === 'GET' && p === '/api/v1/events') {
      operator(me);
      const after = Number(url.searchParams.get('after') ?? 0);
      const limit = Number(url.searchParams.get('limit') ?? 100);
      const stream = url.searchParams.get('stream');
      const types = url.searchParams.get('type')?.split(',');
      const list = events.filter((e) => e.seq > after && (!stream || e.stream === stream) && (!types || types.includes(e.type)));
      return [200, { events: list.slice(0, limit) }];
    }
    if (m === 'GET' && p === '/api/v1/actors') {
      operator(me);
      const kids = [...agents.values()].map((a) => ({
        id: `agent-${a.id}`,
        kind: 'agent',
        name: a.name,
        mailbox: 0,
        state: a.status === 'running' ? { running: 'idle' } : 'stopped',
        parent: 'system',
        children: [] as string[],
      }));
      const rs = [...rooms.values()].map((r) => ({
        id: `room-${r.id}`,
        kind: 'room',
        name: r.name,
        state: 'open',
        parent: 'system',
        children: [] as string[],
        participants: roomView(r).participants,
      }));
      // ?asOf echoes the position (a server with as-of reads); the mock keeps no history of its graph.
      const asOf = url.searchParams.has('asOf') ? Number(url.searchParams.get('asOf')) : undefined;
      return [
        200,
        {
          actors: [{ id: 'system', kind: 'system', state: 'running', children: [...kids, ...rs].map((k) => k.id) }, ...kids, ...rs],
          ...(asOf !== undefined ? { asOf } : {}),
        },
      ];
    }
    if (m === 'GET' && (g = /^\/api\/v1\/actors\/(room-[^/]+)\/machine$/.exec(p))) {
      operator(me);
      // A room's statechart, shaped as the real route answers (src/actors/machine-chart.ts), with its own events.
      const state = (key: string) => ({ id: `room.${key}`, key, type: 'atomic', transitions: [], states: [] });
      const machine = {
        id: 'room',
        key: 'room',
        type: 'compound',
        initial: 'room.open',
        transitions: [{ event: 'POSTED', targets: [] }],
        states: [state('open'), state('closed')],
      };
      const lastEvents = events
        .filter((e) => e.stream === g![1])
        .slice(-10)
        .reverse();
      return [200, { actor: { id: g[1], kind: 'room', state: 'open', value: 'open' }, machine, active: ['room', 'room.open'], lastEvents }];
    }
    throw new HttpError(404, 'not_found', `no route ${m} ${p}`);
  }

  async function serveStatic(path: string, res: ServerResponse) {
    let file = normalize(join(webRoot, decodeURIComponent(path)));
    if (!file.startsWith(webRoot + sep)) file = join(webRoot, 'index.html');
    try {
      if (!(await stat(file)).isFile()) file = join(webRoot, 'index.html');
    } catch {
      file = join(webRoot, 'index.html');
    }
    const bytes = await readFile(file);
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(bytes);
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      try {
        if (!url.pathname.startsWith('/api/')) return await serveStatic(url.pathname, res);
        const raw = Buffer.concat(chunks).toString();
        const body = raw ? JSON.parse(raw) : undefined;
        const [status, out] = await route(req, url, body);
        res.writeHead(status, out === undefined ? {} : { 'content-type': 'application/json' });
        res.end(out === undefined ? undefined : JSON.stringify(out));
      } catch (err) {
        const e = err instanceof HttpError ? err : new HttpError(400, 'bad_request', String(err));
        res.writeHead(e.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: e.code, message: e.message, ...(e.problems ? { problems: e.problems } : {}) } }));
      }
    });
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/ws' || refuseSockets) return void socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      const t = access.get(url.searchParams.get('token') ?? '');
      if (!t || t.exp < Date.now()) return void ws.close(4401, 'unauthorized');
      const s = { ws, accountId: t.accountId, rooms: new Set<string>() };
      sockets.add(s);
      ws.on('close', () => sockets.delete(s));
      ws.on('message', (data) => {
        let f: any;
        try {
          f = JSON.parse(data.toString());
        } catch {
          return void ws.send(JSON.stringify({ type: 'error', code: 'bad_frame', message: 'not JSON' }));
        }
        if (f.type === 'ping') return void ws.send(JSON.stringify({ type: 'pong' }));
        if (f.type === 'unsubscribe') return void s.rooms.delete(f.roomId);
        if (f.type === 'subscribe') {
          const r = rooms.get(f.roomId);
          if (!r || !r.members.has(s.accountId)) return void ws.send(JSON.stringify({ type: 'error', code: 'not_found', message: 'room not found' }));
          for (const msg of messages) if (msg.roomId === r.id && msg.seq > (f.afterSeq ?? 0)) ws.send(JSON.stringify({ type: 'message', message: msg }));
          s.rooms.add(r.id);
          return void ws.send(JSON.stringify({ type: 'subscribed', roomId: r.id, seq: events.length }));
        }
        ws.send(JSON.stringify({ type: 'error', code: 'unknown_frame', message: `unknown frame ${String(f.type)}` }));
      });
    });
  });

  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    dropSockets: () => {
      for (const s of sockets) s.ws.terminate();
    },
    setRefuseSockets: (v) => {
      refuseSockets = v;
    },
    postAs(username, roomId, text) {
      const a = [...accounts.values()].find((x) => x.username === username)!;
      rooms.get(roomId)!.members.add(a.id);
      return post(roomId, a.id, 'user', text);
    },
    socketCount: () => sockets.size,
    addAgent: (character) => addAgent(character).id,
    storedCharacter: (name) => [...agents.values()].find((a) => a.name === name)?.character,
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

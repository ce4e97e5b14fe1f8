import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import WebSocket from 'ws';
import { apiOptions, callApi as http, defaultUrl } from '../api-client.ts';
import { type Command, say, UsageError } from '../command.ts';

/**
 * `chronicle chat`: a terminal client over the public API only (REST to log in, find the agent and
 * open a room; the /ws WebSocket to send messages and stream replies as they are written). Each input
 * line is a message; the agent's reply streams to stdout. With piped input, it waits for the replies
 * to everything it sent before exiting, so `echo hi | chronicle chat --agent Ada` prints the answer.
 */

export interface ChatOptions {
  url: string;
  username: string;
  password: string;
  /** Agent name or id; optional when the server has exactly one agent. */
  agent?: string;
  /** Reuse a room instead of opening a new one. */
  room?: string;
  input: Readable;
  output: Writable;
  /** How long to wait for outstanding replies after the input ends. */
  replyTimeoutMs?: number;
  /** Print a prompt before each line (interactive terminals). */
  prompt?: boolean;
}

interface Agent {
  id: string;
  name: string;
  status: string;
}

/** Picks the agent by name (case-insensitive) or id; with none named, the only one there is. */
export function pickAgent(agents: readonly Agent[], wanted: string | undefined): Agent {
  if (!wanted) {
    if (agents.length === 1) return agents[0]!;
    throw new UsageError(agents.length ? `several agents; choose one with --agent (${agents.map((a) => a.name).join(', ')})` : 'the server has no agents');
  }
  const found = agents.find((a) => a.id === wanted) ?? agents.find((a) => a.name.toLowerCase() === wanted.toLowerCase());
  if (!found) throw new UsageError(`no agent "${wanted}" (agents: ${agents.map((a) => a.name).join(', ') || 'none'})`);
  return found;
}

/** The `exp` of our own access token (a JWT), for scheduling its refresh only — never trusted for access. */
function tokenExpiresAt(token: string): number {
  try {
    const exp = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')).exp;
    if (typeof exp === 'number') return exp * 1000;
  } catch {
    // not a JWT we can read: fall through
  }
  return Date.now() + 60_000;
}

/** Runs a chat session until the input ends (and replies are in) or the socket closes. Resolves to an exit code. */
export async function runChat(o: ChatOptions): Promise<number> {
  const base = o.url.replace(/\/$/, '');
  const login = await http(base, 'POST', '/api/v1/auth/login', undefined, { username: o.username, password: o.password });
  const accessToken: string = login.accessToken;
  const agent = pickAgent((await http(base, 'GET', '/api/v1/agents', accessToken)).agents as Agent[], o.agent);
  const roomId: string = o.room ?? (await http(base, 'POST', '/api/v1/rooms', accessToken, { name: `chat with ${agent.name}`, agentIds: [agent.id] })).room.id;
  const write = (s: string) => void o.output.write(s);
  say(`chatting with ${agent.name} in room ${roomId} (Ctrl-D or /quit to leave)`);

  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(accessToken)}`);
  const waiting = new Set<string>(); // clientMessageIds and message ids awaiting an agent reply
  const streamed = new Set<string>(); // replyTo ids whose reply we already printed as deltas
  let inputDone = false;
  let finish!: (code: number) => void;
  const done = new Promise<number>((r) => (finish = r));
  let timer: NodeJS.Timeout | undefined;
  const maybeFinish = () => {
    if (!inputDone) return;
    if (waiting.size === 0) return finish(0);
    timer ??= setTimeout(() => (say(`no reply within ${o.replyTimeoutMs ?? 60_000} ms`), finish(1)), o.replyTimeoutMs ?? 60_000);
  };

  ws.on('message', (data) => {
    const f = JSON.parse(data.toString()) as Record<string, any>;
    if (f.type === 'ack') {
      waiting.delete(f.clientMessageId);
      waiting.add(f.messageId);
    } else if (f.type === 'reply.delta' && f.roomId === roomId) {
      if (!streamed.has(f.replyTo)) streamed.add(f.replyTo), write(`${agent.name}: `);
      write(String(f.delta));
    } else if (f.type === 'message' && f.message?.roomId === roomId && f.message.authorKind === 'agent') {
      const replyTo = f.message.inReplyTo as string | undefined;
      if (replyTo && streamed.has(replyTo)) write('\n');
      else write(`${agent.name}: ${f.message.text}\n`);
      if (replyTo) waiting.delete(replyTo);
      if (o.prompt) write('> ');
      maybeFinish();
    } else if (f.type === 'error') say(`server: ${f.message}`);
  });
  ws.on('close', (code) => finish(code === 1000 ? 0 : 1));
  // The server closes a socket when its access token expires: present a refreshed one before that.
  let refreshToken: string = login.refreshToken;
  let refreshTimer: NodeJS.Timeout | undefined;
  const keepFresh = (token: string) => {
    const left = tokenExpiresAt(token) - Date.now();
    refreshTimer = setTimeout(
      async () => {
        try {
          const pair = await http(base, 'POST', '/api/v1/auth/refresh', undefined, { refreshToken });
          refreshToken = pair.refreshToken;
          ws.send(JSON.stringify({ type: 'auth', token: pair.accessToken }));
          keepFresh(pair.accessToken);
        } catch (err) {
          say(`could not refresh the session (${(err as Error).message}); the server will close it when the token expires`);
        }
      },
      Math.max(0, left - Math.min(30_000, left / 4)),
    );
    refreshTimer.unref();
  };
  keepFresh(accessToken);
  ws.on('error', (err) => (say(`WebSocket: ${err.message}`), finish(1)));
  await new Promise<void>((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));

  const subscribed = new Promise<void>((resolve) => ws.on('message', (d) => JSON.parse(d.toString()).type === 'subscribed' && resolve()));
  ws.send(JSON.stringify({ type: 'subscribe', roomId }));
  await subscribed;
  if (o.prompt) write('> ');

  const lines = createInterface({ input: o.input, terminal: false });
  lines.on('line', (line) => {
    const text = line.trim();
    if (!text) return;
    if (text === '/quit' || text === '/exit') return lines.close();
    const clientMessageId = randomUUID();
    waiting.add(clientMessageId);
    ws.send(JSON.stringify({ type: 'message', roomId, text, clientMessageId }));
  });
  lines.on('close', () => ((inputDone = true), maybeFinish()));

  const code = await done;
  clearTimeout(timer);
  clearTimeout(refreshTimer);
  lines.close();
  ws.close(1000);
  return code;
}

export const chatCommand: Command = {
  name: 'chat',
  usage: [
    'Usage: chronicle chat [--agent NAME] [--room ID] [--url URL] [--username U] [--password P]',
    '',
    'Opens a room with the agent (or joins --room) and sends each line you type; replies stream back.',
    'Leave with Ctrl-D or /quit. Credentials as for other API commands (CHRONICLE_USERNAME/PASSWORD, ADMIN_PASSWORD).',
  ].join('\n'),
  options: { ...apiOptions, agent: { type: 'string' }, room: { type: 'string' } },
  async run({ values }) {
    const password = values.password ?? process.env.CHRONICLE_PASSWORD ?? process.env.ADMIN_PASSWORD;
    if (typeof password !== 'string') throw new UsageError('no password: pass --password, or set CHRONICLE_PASSWORD or ADMIN_PASSWORD');
    return runChat({
      url: String(values.url ?? defaultUrl()),
      username: String(values.username ?? process.env.CHRONICLE_USERNAME ?? 'admin'),
      password,
      agent: values.agent as string | undefined,
      room: values.room as string | undefined,
      input: process.stdin,
      output: process.stdout,
      prompt: Boolean(process.stdin.isTTY),
    });
  },
};

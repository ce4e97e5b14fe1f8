import type { Caller } from '../app/commands/context.ts';
import type { AccountView, AgentView, RoomView } from '../projections/read-model.ts';
import { stripSecrets } from '../characters/secrets.ts';
import type { LogFanout } from './fanout.ts';
import type { Reply, RequestInfo } from './http.ts';
import type { Metrics } from './metrics.ts';
import type { Router } from './router.ts';
import type { ServerOptions, TransportChronicle } from './types.ts';

/** What every route handler gets. */
export interface Call {
  info: RequestInfo;
  params: Record<string, string>;
  /** Set on every route that is not public. */
  caller: Caller;
  body: unknown;
  reply: Reply;
  server: ServerContext;
}

/** A JSON answer; handlers that stream (SSE) write to call.reply themselves and return undefined. */
export interface Result {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** A non-JSON body (Prometheus text). */
  text?: string;
}

export type Handler = (call: Call) => Promise<Result | undefined>;

export interface ServerContext {
  chronicle: TransportChronicle;
  fanout: LogFanout;
  metrics: Metrics;
  options: Required<Omit<ServerOptions, 'webRoot'>>;
  openSockets(): number;
  /** Aborted when the server starts shutting down: long waits (chat completions) end early. */
  shutdown: AbortSignal;
}

export type AppRouter = Router<Handler>;

export const accountOut = (a: AccountView) => ({ id: a.id, username: a.username, name: a.name, role: a.role, createdAt: a.createdAt });
export const agentOut = (a: AgentView) => ({ id: a.id, name: a.name, status: a.status, character: stripSecrets(a.character), createdAt: a.createdAt });
export const roomOut = (r: RoomView) => ({
  id: r.id,
  name: r.name,
  createdAt: r.createdAt,
  participants: r.participants.map((p) => ({ id: p.id, kind: p.kind, name: p.name })),
  ...(r.forkOf ? { forkOf: r.forkOf } : {}),
});

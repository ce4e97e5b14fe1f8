import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import type { Caller } from '../app/commands/context.ts';
import { postMessage } from '../app/commands/messages.ts';
import { accessibleRoom } from '../app/commands/rooms.ts';
import { AppError } from '../app/errors.ts';
import { WrongExpectedVersionError } from '../events/errors.ts';
import { hasRole } from '../auth/roles.ts';
import { newId } from '../shared/ids.ts';
import { authenticate } from './authenticate.ts';
import type { ServerContext } from './call.ts';
import { messageFromEvent, type PostedEvent } from './fanout.ts';
import { statusLine } from './http.ts';
import { RateLimiter } from './rate-limit.ts';
import { toJson } from './sanitize.ts';
import type { Ephemeral } from './types.ts';
import type { AnyRecordedEvent } from '../events/envelope.ts';
import { parseClientFrame } from './ws-frames.ts';
import { ReplayScheduler } from './replay-scheduler.ts';
import { HistoryPages } from './history-pages.ts';
import { isRevocationEvent, revocationEffect, staleSessionReason } from './session-revocation.ts';

export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_BACKPRESSURE = 1013;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_POLICY = 1008;

interface RoomSub {
  live: boolean;
  buffer: PostedEvent[];
  cursor: number;
  unwatch: () => void;
}

interface SocketData {
  id: number;
  ip: string;
  caller?: Caller;
  authFailed: boolean;
  closed: boolean;
  rooms: Map<string, RoomSub>;
  authTimer?: NodeJS.Timeout;
  /** Closes the socket (4401) when its access token expires, unless a fresh `auth` frame came first. */
  expiryTimer?: NodeJS.Timeout;
  /** Frames are handled one after another, in arrival order (auth before what follows it). */
  queue: Promise<void>;
  /** Frames (and their bytes) received and not yet handled: bounded, see ServerOptions.wsMaxQueuedFrames. */
  queuedFrames: number;
  queuedBytes: number;
  /** Resolvers waiting for the send buffer to drain (history replay). */
  drainWaiters: (() => void)[];
  /** Frames queued in this tick, written together under one cork (one syscall, not one per frame). */
  outbox: string[];
}

type Ws = WebSocket<SocketData>;

/** The largest frame uWS reads (to refuse it with 1009); past it uWS drops the connection (1006). */
export const wsFrameCeiling = (maxBodyBytes: number): number => Math.max(16 * 1024 * 1024, 2 * maxBodyBytes);

/** A message event's frame is serialised once, however many sockets receive it. */
const frameCache = new WeakMap<object, string>();
function messageFrame(e: PostedEvent): string {
  let f = frameCache.get(e);
  if (!f) frameCache.set(e, (f = toJson({ type: 'message', message: messageFromEvent(e) })));
  return f;
}

/**
 * The /ws protocol of API.md: auth on upgrade (?token=) or by a first frame, subscribe with afterSeq
 * replay (no gap, no duplicate), message frames with ack, reply.delta/typing from the actor system,
 * ping/pong. Each socket's send buffer is bounded: past the limit it is closed with a reason and
 * the client resumes with afterSeq.
 */
export class WsHub {
  private nextId = 1;
  private readonly sockets = new Set<Ws>();
  private readonly byRoom = new Map<string, Set<Ws>>();
  private readonly pendingFlush = new Set<Ws>();
  private flushScheduled = false;
  private ephemeralSub?: { unsubscribe(): void };
  /** Every socket's history replay runs through one queue, in slices (see ReplayScheduler). */
  private readonly replayScheduler: ReplayScheduler;
  /** Messages a socket, and an account over all its sockets, may have replayed per minute. */
  private readonly replayPerSocket: RateLimiter;
  private readonly replayPerAccount: RateLimiter;
  private readonly historyPages = new HistoryPages(200);
  private unwatchMembership?: () => void;

  constructor(
    private readonly server: ServerContext,
    private readonly limiter: RateLimiter,
  ) {
    const o = server.options;
    this.replayScheduler = new ReplayScheduler(o.wsReplaySliceMs, (err) => server.chronicle.logger.error('history replay failed', { error: String(err) }));
    this.replayPerSocket = new RateLimiter(o.wsReplayPerSocketPerMin);
    this.replayPerAccount = new RateLimiter(o.wsReplayPerAccountPerMin);
  }

  get openCount(): number {
    return this.sockets.size;
  }

  attach(app: TemplatedApp): void {
    const { settings } = this.server.chronicle;
    this.ephemeralSub = this.server.chronicle.actors.ephemeral$.subscribe((e) => this.onEphemeral(e));
    this.unwatchMembership = this.server.fanout.onAny((e) => {
      if (e.type === 'room.participant_left') this.onParticipantLeft(e.data.roomId, e.data.participantId);
      else if (isRevocationEvent(e)) this.onRevocation(e);
    });
    app.ws<SocketData>('/ws', {
      // uWS cuts a frame over maxPayloadLength without a close frame (the client sees 1006, no reason).
      // It is set well above MAX_BODY_BYTES and anything over the limit is refused here with 1009 and
      // a reason, as API.md says. Only beyond wsFrameCeiling (16 MB) is the connection still cut: buffering
      // without bound per socket would let a client make us hold any amount of memory.
      maxPayloadLength: wsFrameCeiling(settings.maxBodyBytes),
      // We enforce our own bound (wsMaxBufferedBytes) and close with a reason; uWS must not drop silently before that.
      maxBackpressure: this.server.options.wsMaxBufferedBytes * 4,
      closeOnBackpressureLimit: 0,
      idleTimeout: 120,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => {
        const key = req.getHeader('sec-websocket-key');
        const protocol = req.getHeader('sec-websocket-protocol');
        const extensions = req.getHeader('sec-websocket-extensions');
        const token = new URLSearchParams(req.getQuery() ?? '').get('token') ?? undefined;
        const ip = Buffer.from(res.getRemoteAddressAsText()).toString();
        const limited = this.limiter.take(`ip:${ip}`);
        if (!limited.ok) {
          res
            .writeStatus(statusLine(429))
            .writeHeader('retry-after', String(limited.retryAfterS))
            .writeHeader('content-type', 'application/json')
            .end(JSON.stringify({ error: { code: 'rate_limited', message: 'too many requests' } }));
          return;
        }
        let aborted = false;
        res.onAborted(() => (aborted = true));
        const data: SocketData = {
          id: this.nextId++,
          ip,
          authFailed: false,
          closed: false,
          rooms: new Map(),
          queue: Promise.resolve(),
          queuedFrames: 0,
          queuedBytes: 0,
          drainWaiters: [],
          outbox: [],
        };
        const finish = () => {
          if (aborted) return;
          res.cork(() => res.upgrade(data, key, protocol, extensions, context));
        };
        if (token === undefined) return finish();
        authenticate(this.server.chronicle, token).then(
          (caller) => {
            data.caller = caller;
            finish();
          },
          () => {
            data.authFailed = true;
            finish();
          },
        );
      },
      open: (ws) => {
        const d = ws.getUserData();
        this.sockets.add(ws);
        if (d.authFailed) return this.close(ws, CLOSE_UNAUTHORIZED, 'invalid or expired token');
        if (d.caller) {
          this.watchExpiry(ws, d.caller);
          this.recheckSession(ws);
        }
        if (!d.caller) {
          d.authTimer = setTimeout(() => this.close(ws, CLOSE_UNAUTHORIZED, 'not authenticated in time'), this.server.options.wsAuthTimeoutMs);
        }
      },
      message: (ws, message, isBinary) => {
        this.server.metrics.wsFramesIn++;
        if (isBinary) return this.close(ws, 1003, 'binary frames are not supported; send JSON text');
        if (message.byteLength > settings.maxBodyBytes) return this.close(ws, 1009, `frame larger than ${settings.maxBodyBytes} bytes`);
        const d = ws.getUserData();
        if (d.closed) return;
        const { wsMaxQueuedFrames, wsMaxQueuedBytes } = this.server.options;
        const size = message.byteLength; // read now: uWS detaches the ArrayBuffer when this handler returns
        if (d.queuedFrames + 1 > wsMaxQueuedFrames || d.queuedBytes + size > wsMaxQueuedBytes) {
          this.server.metrics.wsDisconnectsBackpressure++;
          return this.close(
            ws,
            CLOSE_POLICY,
            `too many frames waiting to be handled (at most ${wsMaxQueuedFrames} frames or ${wsMaxQueuedBytes} bytes); wait for answers before sending more`,
          );
        }
        const text = Buffer.from(message).toString('utf8');
        d.queuedFrames++;
        d.queuedBytes += size;
        d.queue = d.queue
          // Frames still queued when the socket closes are dropped, not handled for nobody.
          .then(() => (d.closed ? undefined : this.onFrame(ws, text)))
          .catch((err) => {
            this.server.chronicle.logger.error('websocket frame failed', { error: String(err) });
            this.sendError(ws, 'internal_error', 'the frame could not be processed');
          })
          .finally(() => {
            d.queuedFrames--;
            d.queuedBytes -= size;
          });
      },
      drain: (ws) => {
        const d = ws.getUserData();
        if (ws.getBufferedAmount() < this.server.options.wsMaxBufferedBytes / 2) for (const w of d.drainWaiters.splice(0)) w();
      },
      close: (ws) => {
        const d = ws.getUserData();
        d.closed = true;
        clearTimeout(d.authTimer);
        clearTimeout(d.expiryTimer);
        for (const w of d.drainWaiters.splice(0)) w();
        for (const roomId of [...d.rooms.keys()]) this.unsubscribe(ws, roomId);
        this.replayPerSocket.forget(`sock:${d.id}`);
        this.sockets.delete(ws);
      },
    });
  }

  /** Graceful shutdown: every socket is told the server is going away (1001). */
  closeAll(): void {
    this.ephemeralSub?.unsubscribe();
    this.unwatchMembership?.();
    this.replayScheduler.stop();
    for (const ws of [...this.sockets]) this.close(ws, CLOSE_GOING_AWAY, 'server shutting down');
  }

  private close(ws: Ws, code: number, reason: string): void {
    const d = ws.getUserData();
    if (d.closed) return;
    // Frames already queued go out before the close frame.
    if (d.outbox.length) this.flushSocket(ws);
    if (d.closed) return;
    d.closed = true;
    ws.end(code, reason);
  }

  /**
   * Queues a frame; every socket's frames of this tick are written together under one cork.
   * Outside uWS's own callbacks nothing is corked, and a syscall per frame was the top item of the
   * send → reply profile (typing, deltas, ack and messages of one exchange arrive in one tick).
   */
  private send(ws: Ws, frame: string): void {
    const d = ws.getUserData();
    if (d.closed) return;
    d.outbox.push(frame);
    this.pendingFlush.add(ws);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // A microtask, not setImmediate: setImmediate waits for the end of the poll phase, and a whole
      // in-process model round trip can happen inside one poll phase — the ack then left with the reply.
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const sockets = [...this.pendingFlush];
    this.pendingFlush.clear();
    for (const ws of sockets) this.flushSocket(ws);
  }

  private flushSocket(ws: Ws): void {
    const d = ws.getUserData();
    const frames = d.outbox;
    d.outbox = [];
    if (d.closed || frames.length === 0) return;
    ws.cork(() => {
      for (const f of frames) ws.send(f, false);
    });
    this.server.metrics.wsFramesOut += frames.length;
    if (ws.getBufferedAmount() > this.server.options.wsMaxBufferedBytes) {
      this.server.metrics.wsDisconnectsBackpressure++;
      this.close(ws, CLOSE_BACKPRESSURE, 'send buffer full (slow consumer); reconnect and subscribe with afterSeq');
    }
  }

  /** Access tokens are short-lived; a socket must not outlive its token (roles and accounts change). */
  private watchExpiry(ws: Ws, caller: Caller): void {
    const d = ws.getUserData();
    clearTimeout(d.expiryTimer);
    if (caller.expiresAt === undefined) return;
    // setTimeout's limit is ~24.8 days; a longer token is re-checked then.
    const inMs = Math.min(Math.max(0, caller.expiresAt - Date.now()), 2 ** 31 - 1);
    d.expiryTimer = setTimeout(() => {
      if (d.caller && d.caller.expiresAt !== undefined && d.caller.expiresAt > Date.now()) return this.watchExpiry(ws, d.caller);
      this.close(ws, CLOSE_UNAUTHORIZED, 'access token expired; reconnect (or send {"type":"auth","token":"..."} before expiry) with a fresh token');
    }, inMs);
    d.expiryTimer.unref();
  }

  /**
   * An `auth` frame on an authenticated socket presents a fresh token (after a refresh) and keeps the
   * socket open past the old token's expiry. It must be the same account: a socket never changes hands.
   */
  private async reauthenticate(ws: Ws, token: string): Promise<void> {
    const d = ws.getUserData();
    let caller: Caller;
    try {
      caller = await authenticate(this.server.chronicle, token);
    } catch {
      return this.sendError(ws, 'unauthorized', 'invalid or expired token; the socket keeps its current token until it expires');
    }
    if (d.closed || !d.caller) return;
    if (caller.accountId !== d.caller.accountId) return this.close(ws, CLOSE_UNAUTHORIZED, 'a socket cannot change accounts; open a new one');
    d.caller = caller;
    this.watchExpiry(ws, caller);
    this.recheckSession(ws);
  }

  /**
   * A committed sign-out, password change or role change of a socket's account closes that socket
   * (4401) in log order, so nothing after it reaches the socket; a socket whose session goes on
   * accepts the account's next token version (see session-revocation.ts).
   */
  private onRevocation(e: AnyRecordedEvent): void {
    for (const ws of this.sockets) {
      const d = ws.getUserData();
      if (!d.caller || d.closed) continue;
      const effect = revocationEffect(e, d.caller);
      if (effect === 'goes-on') d.caller = { ...d.caller, tokenVersion: (d.caller.tokenVersion ?? 0) + 1 };
      else if (effect) this.close(ws, CLOSE_UNAUTHORIZED, effect.ended);
    }
  }

  /**
   * A token is checked against the read model, which may not yet hold a revocation the fan-out had
   * already dispatched before this socket had its caller: once the read model has caught up with the
   * fan-out, the socket's session is checked again, and anything later reaches onRevocation.
   */
  private recheckSession(ws: Ws): void {
    const d = ws.getUserData();
    void this.server.chronicle.projections.waitFor(this.server.fanout.lastSeq).then(() => {
      const reason = d.caller && !d.closed ? staleSessionReason(this.server.chronicle.readModel, d.caller) : undefined;
      if (reason) this.close(ws, CLOSE_UNAUTHORIZED, reason);
    });
  }

  private sendError(ws: Ws, code: string, message: string, extra: Record<string, unknown> = {}): void {
    this.send(ws, toJson({ type: 'error', code, message, ...extra }));
  }

  private async onFrame(ws: Ws, text: string): Promise<void> {
    const d = ws.getUserData();
    const parsed = parseClientFrame(text);
    if (!d.caller) {
      if (!parsed.ok || parsed.frame.type !== 'auth') return this.close(ws, CLOSE_UNAUTHORIZED, 'authenticate first: {"type":"auth","token":"..."}');
      try {
        const caller = await authenticate(this.server.chronicle, parsed.frame.token);
        if (d.closed) return;
        d.caller = caller;
        // Success is silent: API.md defines no frame for it, and the next frame the client sees is the answer to its next request.
        clearTimeout(d.authTimer);
        this.watchExpiry(ws, caller);
        this.recheckSession(ws);
      } catch {
        this.close(ws, CLOSE_UNAUTHORIZED, 'invalid or expired token');
      }
      return;
    }
    if (!parsed.ok) return this.sendError(ws, parsed.code, parsed.message);
    const frame = parsed.frame;
    if (frame.type === 'ping') return this.send(ws, '{"type":"pong"}');
    if (frame.type === 'auth') return this.reauthenticate(ws, frame.token);
    // Checked before every frame that reads or writes, whether or not this socket heard the revocation.
    const stale = staleSessionReason(this.server.chronicle.readModel, d.caller);
    if (stale) {
      this.sendError(
        ws,
        'unauthorized',
        `refused: ${stale}`,
        frame.type === 'message' ? { clientMessageId: frame.clientMessageId ?? null } : { roomId: frame.roomId },
      );
      return this.close(ws, CLOSE_UNAUTHORIZED, stale);
    }
    const limited = this.limiter.take(`acct:${d.caller.accountId}`);
    if (!limited.ok) return this.sendError(ws, 'rate_limited', `too many requests; retry in ${limited.retryAfterS} s`, { retryAfter: limited.retryAfterS });
    try {
      if (frame.type === 'subscribe') await this.subscribe(ws, frame.roomId, frame.afterSeq);
      else if (frame.type === 'unsubscribe') {
        if (!d.rooms.has(frame.roomId)) return this.sendError(ws, 'not_subscribed', 'not subscribed to that room', { roomId: frame.roomId });
        this.unsubscribe(ws, frame.roomId);
      } else if (frame.type === 'message') await this.post(ws, d.caller, frame);
    } catch (err) {
      if (err instanceof AppError)
        return this.sendError(
          ws,
          err.code,
          err.message,
          frame.type === 'message' ? { clientMessageId: frame.clientMessageId ?? null } : { roomId: frame.roomId },
        );
      if (err instanceof WrongExpectedVersionError) return this.sendError(ws, 'conflict', 'concurrent change; retry');
      throw err;
    }
  }

  /**
   * Posts a message and acks it. The ack is sent when the log hands the message out (watchPost), in
   * the same dispatch, so it precedes every reply, delta or typing frame about it; waiting for
   * postMessage to return let a reply overtake it (17 in 10,000). A repeat of a clientMessageId
   * appends nothing and is acked when postMessage returns.
   */
  private async post(ws: Ws, caller: Caller, frame: { roomId: string; text: unknown; clientMessageId?: unknown }): Promise<void> {
    let acked = false;
    const ack = (messageId: string, seq: number) => {
      if (acked) return;
      acked = true;
      this.send(ws, toJson({ type: 'ack', clientMessageId: frame.clientMessageId ?? null, messageId, seq }));
    };
    const clientMessageId = typeof frame.clientMessageId === 'string' ? frame.clientMessageId : undefined;
    const messageId = clientMessageId === undefined ? newId() : undefined;
    const unwatch = this.server.fanout.watchPost(
      messageId !== undefined ? { messageId } : { authorId: caller.accountId, clientMessageId: clientMessageId! },
      (e) => ack(e.data.messageId, e.seq),
    );
    try {
      const { message } = await postMessage(
        this.server.chronicle,
        caller,
        { roomId: frame.roomId, text: frame.text, clientMessageId: frame.clientMessageId },
        { waitForProjection: false, ...(messageId !== undefined ? { messageId } : {}) },
      );
      ack(message.id, message.seq);
    } finally {
      unwatch();
    }
  }

  private async subscribe(ws: Ws, roomId: string, afterSeq: number | undefined): Promise<void> {
    const d = ws.getUserData();
    await accessibleRoom(this.server.chronicle, d.caller!, roomId);
    if (d.closed) return;
    if (d.rooms.has(roomId)) this.unsubscribe(ws, roomId);
    const fanout = this.server.fanout;
    const sub: RoomSub = { live: false, buffer: [], cursor: afterSeq ?? fanout.lastSeq, unwatch: () => undefined };
    // Listen first, read history second: whatever is appended meanwhile lands in the buffer, and the
    // cursor drops what the history already delivered — no gap, no duplicate.
    sub.unwatch = fanout.watchRoom(roomId, (e) => (sub.live ? this.deliver(ws, sub, e) : sub.buffer.push(e)));
    d.rooms.set(roomId, sub);
    let set = this.byRoom.get(roomId);
    if (!set) this.byRoom.set(roomId, (set = new Set()));
    set.add(ws);
    const current = () => !d.closed && d.rooms.get(roomId) === sub;
    if (afterSeq !== undefined) {
      // Everything dispatched before the watch began is at most this seq; the read model is brought
      // up to it, and what comes later arrives through the buffer.
      const target = fanout.lastSeq;
      await this.server.chronicle.projections.waitFor(target);
      if (!current()) return;
      const outcome = await new Promise<'complete' | 'limited' | 'cancelled'>((done) => this.replayStep(ws, sub, roomId, target, current, done));
      if (outcome === 'cancelled' || !current()) return;
      if (outcome === 'limited') {
        const from = sub.cursor;
        sub.cursor = Math.max(sub.cursor, target);
        this.server.metrics.wsReplaysLimited++;
        this.sendError(
          ws,
          'history_limit',
          `replay budget used up: read the messages after seq ${from} and before seq ${target + 1} with ` +
            `GET /api/v1/rooms/${roomId}/messages?before=${target + 1}&limit=200 (then before = the oldest seq received, until you reach ${from}); ` +
            'this subscription goes on live from there',
          { roomId, afterSeq: from, beforeSeq: target + 1 },
        );
      }
    }
    if (!current()) return;
    for (const e of sub.buffer) this.deliver(ws, sub, e);
    sub.buffer = [];
    sub.live = true;
    this.send(ws, JSON.stringify({ type: 'subscribed', roomId, seq: Math.max(sub.cursor, fanout.lastSeq) }));
  }

  /**
   * One step of a history replay, run by the shared ReplayScheduler: one page of the room's messages
   * from the read model (by position: the messages_by_room index, no sort), as many as the socket's
   * and the account's replay budgets allow. Waits for the send buffer to drain below half its bound
   * before the next page (the client's reading pace), and ends 'limited' when a budget is used up
   * while messages up to `target` remain.
   */
  private replayStep(
    ws: Ws,
    sub: RoomSub,
    roomId: string,
    target: number,
    current: () => boolean,
    done: (outcome: 'complete' | 'limited' | 'cancelled') => void,
  ): void {
    if (!current()) return done('cancelled');
    const d = ws.getUserData();
    const { wsMaxBufferedBytes, wsReplayPageSize } = this.server.options;
    const next = () => this.replayScheduler.enqueue(() => this.replayStep(ws, sub, roomId, target, current, done));
    if (ws.getBufferedAmount() > wsMaxBufferedBytes / 2) {
      d.drainWaiters.push(next);
      return;
    }
    const socketKey = `sock:${d.id}`;
    const accountKey = `acct:${d.caller!.accountId}`;
    const allowed = Math.min(this.replayPerSocket.available(socketKey, wsReplayPageSize), this.replayPerAccount.available(accountKey, wsReplayPageSize));
    const readModel = this.server.chronicle.readModel;
    if (allowed === 0) {
      const remaining = readModel.listMessages(roomId, { afterSeq: sub.cursor, beforeSeq: target + 1, limit: 1 });
      return done(remaining.length === 0 ? 'complete' : 'limited');
    }
    const page = this.historyPages.get(readModel, roomId, sub.cursor, allowed);
    const count = page.seqs.length;
    // Frames queued for this socket before go first; then the page, frame by frame, stopping where
    // the send buffer passes half its bound (a page of big messages must not trip the slow-consumer
    // close): the rest of the page is read again, from the cursor, once the buffer has drained.
    this.flushSocket(ws);
    if (d.closed) return done('cancelled');
    let sent = 0;
    let read = 0;
    ws.cork(() => {
      for (; read < count; read++) {
        if (page.seqs[read] <= sub.cursor) continue;
        if (ws.getBufferedAmount() > wsMaxBufferedBytes / 2) break;
        sub.cursor = page.seqs[read];
        ws.send(page.frames[read], false);
        sent++;
      }
    });
    this.replayPerSocket.spend(socketKey, sent);
    this.replayPerAccount.spend(accountKey, sent);
    this.server.metrics.wsFramesOut += sent;
    this.server.metrics.wsReplayedMessages += sent;
    if (read === count && count < allowed) return done('complete');
    next();
  }

  private deliver(ws: Ws, sub: RoomSub, e: PostedEvent): void {
    if (e.seq <= sub.cursor) return;
    sub.cursor = e.seq;
    this.send(ws, messageFrame(e));
  }

  private unsubscribe(ws: Ws, roomId: string): void {
    const d = ws.getUserData();
    const sub = d.rooms.get(roomId);
    if (!sub) return;
    sub.unwatch();
    d.rooms.delete(roomId);
    const set = this.byRoom.get(roomId);
    set?.delete(ws);
    if (set && set.size === 0) this.byRoom.delete(roomId);
  }

  /**
   * Access is checked at subscribe time, so a subscription must also end when its reason does: a user
   * who leaves or is removed from a room stops receiving it at once (in log order, so nothing posted
   * after the removal reaches them). Operators and admins may read every room and keep theirs.
   */
  private onParticipantLeft(roomId: string, accountId: string): void {
    const set = this.byRoom.get(roomId);
    if (!set) return;
    for (const ws of [...set]) {
      const caller = ws.getUserData().caller;
      if (!caller || caller.accountId !== accountId || hasRole(caller.role, 'operator')) continue;
      this.unsubscribe(ws, roomId);
      this.sendError(ws, 'not_found', 'you are no longer a participant of this room; unsubscribed', { roomId });
    }
  }

  private onEphemeral(e: Ephemeral): void {
    const set = this.byRoom.get(e.roomId);
    if (!set) return;
    const frame = toJson(
      e.type === 'typing'
        ? { type: 'typing', roomId: e.roomId, agentId: e.agentId }
        : { type: 'reply.delta', roomId: e.roomId, agentId: e.agentId, replyTo: e.replyTo, delta: e.delta },
    );
    for (const ws of set) if (ws.getUserData().rooms.get(e.roomId)?.live) this.send(ws, frame);
  }
}

import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { newClientId } from '../api/client-id.ts';
import { describeError } from '../api/errors.ts';
import { appendDelta, errorConcernsRoom, mergeMessages, pruneDrafts, settleDraft, type Drafts } from '../api/timeline.ts';
import type { Agent, Message, Room } from '../api/types.ts';
import { answerRules, RULE_TEXT } from '../api/who-answers.ts';
import { ErrorText, formatTime } from './common.tsx';
import { BranchOf } from './branch-of.tsx';
import { isOperator, useApp } from './context.ts';
import { MessageActions } from './message-actions.tsx';
import { href } from './route.ts';

const PAGE = 50;
const TYPING_MS = 8000;
const DRAFT_IDLE_MS = 60_000;

/**
 * One room: its history (latest page, more on request), live messages from the socket, replies
 * streaming in from `reply.delta` frames until their final `message` replaces them, who is typing.
 */
export function ChatRoom({ roomId, agents }: { roomId: string; agents: Agent[] }) {
  const { api, socket, account } = useApp();
  const [room, setRoom] = useState<Room>();
  const [messages, setMessages] = useState<Message[]>([]);
  const [drafts, setDrafts] = useState<Drafts>({});
  const [typing, setTyping] = useState<Record<string, number>>({});
  const [error, setError] = useState<string>();
  const [hasMore, setHasMore] = useState(false);
  const [loaded, setLoaded] = useState(false);
  const listRef = useRef<HTMLDivElement>(null);
  const stick = useRef(true);

  useEffect(() => {
    let live = true;
    const off = socket.onFrame((f) => {
      if (!live) return;
      switch (f.type) {
        case 'message':
          if (f.message.roomId !== roomId) return;
          setMessages((cur) => mergeMessages(cur, [f.message]));
          setDrafts((d) => settleDraft(d, f.message));
          setTyping((t) => {
            if (!(f.message.authorId in t)) return t;
            const n = { ...t };
            delete n[f.message.authorId];
            return n;
          });
          break;
        case 'reply.delta':
          if (f.roomId === roomId) setDrafts((d) => appendDelta(d, f.agentId, f.replyTo, f.delta));
          break;
        case 'typing':
          if (f.roomId === roomId) setTyping((t) => ({ ...t, [f.agentId]: Date.now() }));
          break;
        case 'error':
          if (errorConcernsRoom(f, roomId)) setError(`${f.message} (${f.code})`);
          break;
      }
    });
    (async () => {
      try {
        const [r, history] = await Promise.all([api.room(roomId), api.messages(roomId, { limit: PAGE })]);
        if (!live) return;
        setRoom(r);
        setMessages((cur) => mergeMessages(cur, history));
        setHasMore(history.length === PAGE);
        // Subscribing after the history: the server replays everything after its last seq.
        socket.subscribe(roomId, history.length ? history[history.length - 1].seq : 0);
      } catch (err) {
        if (live) setError(describeError(err));
      } finally {
        if (live) setLoaded(true);
      }
    })();
    return () => {
      live = false;
      off();
      socket.unsubscribe(roomId);
    };
  }, [roomId]);

  // Typing indicators fade when no frame renews them; a draft whose reply failed goes too.
  useEffect(() => {
    if (Object.keys(typing).length === 0 && Object.keys(drafts).length === 0) return;
    const t = setTimeout(() => {
      const now = Date.now();
      setTyping((cur) => Object.fromEntries(Object.entries(cur).filter(([, at]) => now - at < TYPING_MS)));
      setDrafts((cur) => pruneDrafts(cur, now, DRAFT_IDLE_MS));
    }, 1000);
    return () => clearTimeout(t);
  }, [typing, drafts]);

  // Keep the view at the bottom while the person is there (not when reading older messages).
  useLayoutEffect(() => {
    const el = listRef.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [messages, drafts]);

  async function loadEarlier() {
    if (!messages.length) return;
    try {
      const older = await api.messages(roomId, { before: messages[0].seq, limit: PAGE });
      stick.current = false;
      setMessages((cur) => mergeMessages(cur, older));
      setHasMore(older.length === PAGE);
    } catch (err) {
      setError(describeError(err));
    }
  }

  const names = new Map<string, string>();
  for (const a of agents) names.set(a.id, a.name);
  for (const p of room?.participants ?? []) names.set(p.id, p.name);
  names.set(account.id, account.name || account.username);
  const nameOf = (id: string) => names.get(id) ?? id.slice(0, 8);
  const typingIds = [...new Set([...Object.keys(typing), ...Object.values(drafts).map((d) => d.agentId)])];
  const op = isOperator(account);
  const rules = room && answerRules(room.participants, agents);

  return (
    <div class="room">
      <header class="room-head">
        <h2>{room?.name ?? 'Room'}</h2>
        {room && <p class="muted">With {room.participants.map((p) => p.name).join(', ')}</p>}
        {room && <BranchOf room={room} />}
        {rules && (
          <p class="who-answers" data-testid="who-answers">
            <strong>Who answers:</strong> an agent named in a message answers it. Otherwise{' '}
            {rules.map((r, i) => (
              <span key={r.id}>
                {i > 0 && '; '}
                <strong>{r.name}</strong> {RULE_TEXT[r.rule]}
              </span>
            ))}
            . Agents answer each other only when named.
          </p>
        )}
      </header>
      <ErrorText error={error} />
      <div
        class="messages"
        ref={listRef}
        tabIndex={0}
        aria-label="Messages"
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
      >
        {hasMore && (
          <button type="button" class="link" onClick={loadEarlier}>
            Load earlier messages
          </button>
        )}
        {loaded && messages.length === 0 && Object.keys(drafts).length === 0 && <p class="muted">No messages yet — say hello.</p>}
        {/* Final messages are announced (role=log); streamed drafts are not, to avoid reading every token. */}
        <div role="log" aria-live="polite" aria-relevant="additions" aria-label="Messages of the room">
          <ol class="log">
            {messages.map((m) => (
              <li
                key={m.id}
                class={`msg msg-${m.authorKind}${m.authorId === account.id ? ' msg-mine' : ''}${m.id === room?.forkOf?.atMessageId ? ' msg-fork-point' : ''}`}
                data-seq={m.seq}
                data-testid="message"
              >
                <div class="meta">
                  <strong>{nameOf(m.authorId)}</strong> <time dateTime={m.createdAt}>{formatTime(m.createdAt)}</time>
                  {op && m.authorKind === 'agent' && (
                    <a class="trace-link" href={href('trace', `${m.roomId}/${m.id}`)}>
                      trace
                    </a>
                  )}
                </div>
                <p class="text">{m.text}</p>
                {room && <MessageActions room={room} message={m} />}
              </li>
            ))}
          </ol>
        </div>
        {Object.entries(drafts).map(([key, d]) => (
          <div key={key} class="msg msg-agent msg-draft" data-testid="draft">
            <div class="meta">
              <strong>{nameOf(d.agentId)}</strong> <span class="muted">writing…</span>
            </div>
            <p class="text">{d.text}</p>
          </div>
        ))}
      </div>
      <p class="typing" aria-live="polite" data-testid="typing">
        {typingIds.length ? `${typingIds.map(nameOf).join(', ')} ${typingIds.length === 1 ? 'is' : 'are'} typing…` : ''}
      </p>
      <Composer
        roomId={roomId}
        onSent={(m) => {
          stick.current = true;
          setMessages((cur) => mergeMessages(cur, [m]));
        }}
        onError={setError}
      />
    </div>
  );
}

function Composer({ roomId, onSent, onError }: { roomId: string; onSent: (m: Message) => void; onError: (e?: string) => void }) {
  const { api } = useApp();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const ref = useRef<HTMLTextAreaElement>(null);
  const pendingId = useRef<string | undefined>(undefined);
  useEffect(() => ref.current?.focus(), [roomId]);

  async function send(e?: Event) {
    e?.preventDefault();
    const body = text.trim();
    if (!body || busy) return;
    setBusy(true);
    onError(undefined);
    // The same clientMessageId on a retry makes the post idempotent on the server.
    const clientMessageId = (pendingId.current ??= newClientId());
    try {
      const m = await api.postMessage(roomId, body, clientMessageId);
      pendingId.current = undefined;
      setText('');
      onSent(m);
    } catch (err) {
      onError(describeError(err));
    } finally {
      setBusy(false);
      ref.current?.focus();
    }
  }

  return (
    <form class="composer" onSubmit={send}>
      <label class="sr-only" for="composer-text">
        Message
      </label>
      <textarea
        id="composer-text"
        ref={ref}
        rows={2}
        value={text}
        placeholder="Write a message — Enter sends, Shift+Enter for a new line"
        onInput={(e) => {
          pendingId.current = undefined;
          setText(e.currentTarget.value);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) void send(e);
        }}
      />
      <button type="submit" disabled={busy || !text.trim()}>
        Send
      </button>
    </form>
  );
}

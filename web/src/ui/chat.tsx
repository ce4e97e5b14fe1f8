import { useEffect, useState } from 'preact/hooks';
import { describeError } from '../api/errors.ts';
import type { Agent, Room } from '../api/types.ts';
import { ChatRoom } from './chat-room.tsx';
import { ErrorText, FormErrors, formFailure, ScreenTitle, type FormFailure } from './common.tsx';
import { useApp } from './context.ts';
import { href } from './route.ts';

/** Rooms on the side (with the form to make one), the open room beside them. */
export function ChatScreen({ roomId }: { roomId?: string }) {
  const { api } = useApp();
  const [rooms, setRooms] = useState<Room[]>([]);
  const [agents, setAgents] = useState<Agent[]>([]);
  const [error, setError] = useState<string>();

  useEffect(() => {
    api.rooms().then(setRooms, (e) => setError(describeError(e)));
    api.agents().then(setAgents, (e) => setError(describeError(e)));
  }, []);
  // A room opened from elsewhere (a branch just made) joins the list.
  useEffect(() => {
    if (roomId && rooms.length && !rooms.some((r) => r.id === roomId)) api.rooms().then(setRooms, (e) => setError(describeError(e)));
  }, [roomId]);

  return (
    <div class="chat-layout">
      <aside class="rooms" aria-label="Rooms">
        <ScreenTitle>Chat</ScreenTitle>
        <ErrorText error={error} />
        <NewRoomForm
          key={roomId ? 'in-room' : 'no-room'}
          startOpen={!roomId}
          agents={agents}
          onCreated={(r) => {
            setRooms([r, ...rooms.filter((x) => x.id !== r.id)]);
            location.hash = href('chat', r.id);
          }}
        />
        <h2>Your rooms</h2>
        {rooms.length === 0 ? (
          <p class="muted">No rooms yet.</p>
        ) : (
          <ul class="room-list">
            {rooms.map((r) => (
              <li key={r.id}>
                <a href={href('chat', r.id)} aria-current={r.id === roomId ? 'page' : undefined}>
                  {r.forkOf && (
                    <span class="branch-mark" title="a branch">
                      ↳{' '}
                    </span>
                  )}
                  {r.name}
                </a>
              </li>
            ))}
          </ul>
        )}
      </aside>
      <section class="room-pane" aria-label="Conversation">
        {roomId ? <ChatRoom key={roomId} roomId={roomId} agents={agents} /> : <p class="muted">Choose a room or create one.</p>}
      </section>
    </div>
  );
}

function NewRoomForm({ agents, onCreated, startOpen }: { agents: Agent[]; onCreated: (r: Room) => void; startOpen: boolean }) {
  const { api } = useApp();
  // Folded away while a room is open, so on a phone the conversation comes first.
  const [open, setOpen] = useState(startOpen);
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<string[] | undefined>();
  const [failure, setFailure] = useState<FormFailure>();
  const [busy, setBusy] = useState(false);
  // Until the person picks, the first running agent is preselected (a room with the default agent).
  const selected =
    chosen ??
    agents
      .filter((a) => a.status === 'running')
      .slice(0, 1)
      .map((a) => a.id);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setFailure(undefined);
    try {
      const room = await api.createRoom(name.trim() || 'New room', selected);
      setName('');
      onCreated(room);
    } catch (err) {
      setFailure(formFailure(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <details class="new-room" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>New room</summary>
      <form onSubmit={submit}>
        <label>
          Room name
          <input name="room-name" value={name} maxLength={200} placeholder="New room" onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <fieldset>
          <legend>Agents in the room</legend>
          {agents.length === 0 && <p class="muted">No agents.</p>}
          {agents.map((a) => (
            <label class="inline" key={a.id}>
              <input
                type="checkbox"
                checked={selected.includes(a.id)}
                onChange={(e) => setChosen(e.currentTarget.checked ? [...selected, a.id] : selected.filter((x) => x !== a.id))}
              />{' '}
              {a.name} {a.status === 'stopped' && <small>(stopped)</small>}
            </label>
          ))}
        </fieldset>
        <FormErrors failure={failure} subject="The room" />
        <button type="submit" disabled={busy}>
          Create room
        </button>
      </form>
    </details>
  );
}

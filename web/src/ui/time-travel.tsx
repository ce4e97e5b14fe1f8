import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, describeError } from '../api/errors.ts';
import type { ActorNode, Message } from '../api/types.ts';
import { ErrorText } from './common.tsx';
import { useApp } from './context.ts';

/** What the actors screen shows: the live system, or the graph and a room as the log stood at `asOf`. */
export type Position = { live: true } | { live: false; asOf: number; actors: ActorNode[]; messages: Message[]; roomNote?: string };

export const NOT_AVAILABLE = 'time travel not available on this server';

/**
 * The time slider: 0 … the log's head. A position is read with `?asOf=<seq>` (docs/API.md, "Time
 * travel"); a server without as-of reads refuses it (400/404) or ignores it (its answer does not echo
 * `asOf`), and then the slider says so and the screen stays live.
 */
export function TimeTravel({ position, onPosition, roomId }: { position: Position; onPosition: (p: Position) => void; roomId?: string }) {
  const { api } = useApp();
  const [head, setHead] = useState(0);
  const [value, setValue] = useState(0);
  const [unavailable, setUnavailable] = useState(false);
  const [error, setError] = useState<string>();
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => {
    // Leaving live mode refreshes the slider's range only: the position the user moved to stays.
    api.health().then(
      (h) => {
        setHead(h.seq);
        if (position.live) setValue(h.seq);
      },
      () => undefined,
    );
  }, [position.live]);

  const load = async (asOf: number) => {
    setError(undefined);
    try {
      const graph = await api.actorsAsOf(asOf);
      if (graph.asOf !== asOf) return refuse();
      let messages: Message[] = [];
      let roomNote: string | undefined;
      if (roomId) {
        try {
          messages = (await api.messagesAsOf(roomId, asOf)).messages;
        } catch (err) {
          if (!(err instanceof ApiError && err.status === 404)) throw err;
          roomNote = `This room did not exist yet at seq ${asOf}.`;
        }
      }
      onPosition({ live: false, asOf, actors: graph.actors, messages, roomNote });
    } catch (err) {
      if (err instanceof ApiError && (err.status === 400 || err.status === 404)) return refuse();
      setError(describeError(err));
    }
  };
  const refuse = () => {
    setUnavailable(true);
    onPosition({ live: true });
  };

  // Another room selected at a past position: read it at the same position.
  useEffect(() => {
    if (!position.live) void load(position.asOf);
  }, [roomId]);

  const move = (v: number) => {
    setValue(v);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => void load(v), 150);
  };

  return (
    <div class="time-travel">
      <label class="inline">
        <input
          type="checkbox"
          checked={position.live}
          disabled={unavailable && position.live}
          onChange={(e) => (e.currentTarget.checked ? onPosition({ live: true }) : move(head))}
        />{' '}
        Live
      </label>
      <div class="grow">
        <input
          type="range"
          name="asOf"
          aria-label="Log position"
          min={0}
          max={head}
          value={value}
          disabled={unavailable}
          onInput={(e) => move(Number(e.currentTarget.value))}
        />
        <output data-testid="asof-value" aria-live="polite">
          {position.live ? `live (head ${head})` : `seq ${value}`}
        </output>
      </div>
      {unavailable && (
        <p class="muted" role="status" data-testid="time-travel-unavailable">
          {NOT_AVAILABLE}
        </p>
      )}
      <ErrorText error={error} />
    </div>
  );
}

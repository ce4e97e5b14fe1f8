import { useEffect, useState } from 'preact/hooks';
import type { Room } from '../api/types.ts';
import { useApp } from './context.ts';
import { href } from './route.ts';

/** A branch says what it is a branch of: the source room (its name when the caller can see it) and where. */
export function BranchOf({ room }: { room: Room }) {
  const { api } = useApp();
  const fork = room.forkOf;
  const [sourceName, setSourceName] = useState<string>();
  useEffect(() => {
    if (fork)
      api.room(fork.roomId).then(
        (r) => setSourceName(r.name),
        () => setSourceName(undefined),
      );
  }, [fork?.roomId]);
  if (!fork) return null;
  return (
    <p class="branch-of" data-testid="branch-of">
      Branch of <a href={href('chat', fork.roomId)}>{sourceName ?? fork.roomId.slice(0, 8)}</a>
      {fork.atMessageId ? ', from the message marked below' : ', from just before a question'} (log position {fork.atSeq}). Later messages of the source are not
      part of it.
    </p>
  );
}

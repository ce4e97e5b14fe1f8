/**
 * A branch's history by reference. A room forked from another (`room.forked`) owns only the messages
 * posted in it; before them comes the source's history up to the fork position — which may itself be
 * a branch. The lineage lists those segments, newest first: the room itself (everything), then each
 * source up to where the branch below it was taken. Seqs only grow, so the segments' messages never
 * overlap and their seq order is the history's order: reading a window across them is reading each
 * segment's part of the window with the same index query (messages_by_room), and concatenating.
 */

export interface LineageSegment {
  roomId: string;
  /** The highest seq of this room's messages that belong to the history (MAX_SAFE_INTEGER: all). */
  upTo: number;
}

export interface ForkLink {
  sourceRoomId: string;
  atSeq: number;
}

/** Deeper than this is refused as a corrupt chain (a branch of a branch of … 64 times). */
const MAX_DEPTH = 64;

export function roomLineage(roomId: string, forkOf: (roomId: string) => ForkLink | undefined): LineageSegment[] {
  const segments: LineageSegment[] = [{ roomId, upTo: Number.MAX_SAFE_INTEGER }];
  let link = forkOf(roomId);
  let upTo = Number.MAX_SAFE_INTEGER;
  while (link && segments.length <= MAX_DEPTH) {
    upTo = Math.min(upTo, link.atSeq);
    segments.push({ roomId: link.sourceRoomId, upTo });
    link = forkOf(link.sourceRoomId);
  }
  return segments;
}

type Window<T> = (roomId: string, beforeSeq: number, afterSeq: number, limit: number) => T[];

/**
 * A window of the lineage's messages (seq in (afterSeq, beforeSeq)), oldest first, at most `limit`:
 * from the oldest end when `ascending` (paging forwards), else the newest `limit` of the window.
 * `ascendingWindow`/`descendingWindow` are the one-room index queries (ROOM_MESSAGES_AFTER/BEFORE_SQL).
 */
export function lineageWindow<T>(
  segments: readonly LineageSegment[],
  o: { beforeSeq: number; afterSeq: number; limit: number; ascending: boolean },
  ascendingWindow: Window<T>,
  descendingWindow: Window<T>,
): T[] {
  const out: T[] = [];
  const order = o.ascending ? [...segments].reverse() : segments;
  for (const s of order) {
    const remaining = o.limit - out.length;
    if (remaining <= 0) break;
    const before = Math.min(o.beforeSeq, s.upTo + 1);
    if (before <= o.afterSeq + 1) continue;
    out.push(...(o.ascending ? ascendingWindow : descendingWindow)(s.roomId, before, o.afterSeq, remaining));
  }
  return o.ascending ? out : out.reverse();
}

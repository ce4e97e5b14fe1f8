import type { MessageView } from './read-model.ts';
import { setMostRecent } from '../shared/recent-map.ts';

/** Rows kept per room: RECENT_MESSAGES asks for 32 by default (ElizaOS), leaving room for a larger setting. */
export const RECENT_PER_ROOM = 64;
/** Rooms kept (least recently read dropped first), so memory stays bounded with many rooms. */
export const RECENT_ROOMS = 1024;

interface RoomWindow {
  /** The room's newest messages, oldest first, at most RECENT_PER_ROOM. */
  rows: MessageView[];
  /** True when `rows` is every message of the room (nothing older was ever dropped). */
  complete: boolean;
  /** The checkpoint at which `rows` was last brought up to date. */
  checkedAt: number;
}

export interface RecentMessagesSource {
  /** Goes backwards only when the read tables are rebuilt. */
  checkpoint(): number;
  /** The room's newest `limit` messages, oldest first. */
  newest(roomId: string, limit: number): MessageView[];
  /** The room's messages with seq > afterSeq, oldest first, at most `limit`. */
  after(roomId: string, afterSeq: number, limit: number): MessageView[];
  /**
   * The highest seq of a message posted in the room that this process applied (0 if none): a window
   * brought up to date at a checkpoint at or above it needs no query. Never too low.
   */
  postedThrough(roomId: string): number;
}

/**
 * The latest messages of busy rooms, kept in memory so that an agent's turn (RECENT_MESSAGES: the
 * 32 messages before the one it answers) reads the one or two rows that arrived since the last turn
 * instead of 32. Messages are only ever appended to a room, with a growing seq, so a window brought
 * up to date with "seq > its newest row" is exact. A checkpoint that moves backwards (a rebuild) drops
 * every window.
 * Answers a query only when the window surely holds the whole answer; otherwise returns undefined and
 * the caller asks SQLite.
 */
export class RecentMessages {
  private readonly rooms = new Map<string, RoomWindow>();
  private lastCheckpoint = 0;

  constructor(
    private readonly source: RecentMessagesSource,
    private readonly perRoom = RECENT_PER_ROOM,
    private readonly maxRooms = RECENT_ROOMS,
  ) {}

  /** The last `limit` messages of the room with seq < beforeSeq, oldest first — or undefined. */
  before(roomId: string, beforeSeq: number, limit: number): MessageView[] | undefined {
    if (limit > this.perRoom) return undefined;
    const cp = this.source.checkpoint();
    if (cp < this.lastCheckpoint) this.rooms.clear();
    this.lastCheckpoint = cp;
    const w = this.window(roomId, cp);
    let end = w.rows.length;
    while (end > 0 && w.rows[end - 1].seq >= beforeSeq) end--;
    if (end < limit && !w.complete) return undefined;
    return w.rows.slice(Math.max(0, end - limit), end);
  }

  private window(roomId: string, cp: number): RoomWindow {
    let w = this.rooms.get(roomId);
    if (w) {
      // Most recently read last: Map iteration order is the eviction order.
      this.rooms.delete(roomId);
      // Nothing posted in the room since the window was last brought up to date: no query (a busy
      // server's statement costs 20–40 µs, once per turn).
      if (this.source.postedThrough(roomId) > w.checkedAt) {
        const fresh = this.source.after(roomId, w.rows.at(-1)?.seq ?? 0, this.perRoom);
        w = fresh.length >= this.perRoom ? undefined : { ...extend(w, fresh, this.perRoom), checkedAt: cp };
      }
    }
    if (!w) {
      const rows = this.source.newest(roomId, this.perRoom);
      w = { rows, complete: rows.length < this.perRoom, checkedAt: cp };
    }
    setMostRecent(this.rooms, roomId, w, this.maxRooms);
    return w;
  }
}

function extend(w: RoomWindow, fresh: MessageView[], perRoom: number): RoomWindow {
  if (fresh.length === 0) return w;
  const all = w.rows.concat(fresh);
  const dropped = Math.max(0, all.length - perRoom);
  return { rows: dropped ? all.slice(dropped) : all, complete: w.complete && dropped === 0, checkedAt: w.checkedAt };
}

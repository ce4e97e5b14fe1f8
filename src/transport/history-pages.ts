import type { ReadModel } from '../projections/read-model.ts';
import { toJson } from './sanitize.ts';

export interface HistoryPage {
  seqs: number[];
  /** The `message` frames, serialised. */
  frames: string[];
}

/**
 * Pages of rooms' history as frames, for the WebSocket replay. Sockets replaying the same room ask
 * for the same pages (same cursor, same size), so full pages are kept — bounded, oldest out first:
 * the first `limit` messages after a seq never change once there are that many. A short page (the
 * end of the history so far) is not kept, as more may come.
 */
export class HistoryPages {
  private readonly pages = new Map<string, HistoryPage>();

  constructor(private readonly kept: number) {}

  get(readModel: ReadModel, roomId: string, afterSeq: number, limit: number): HistoryPage {
    const key = `${roomId}\u0000${afterSeq}\u0000${limit}`;
    const hit = this.pages.get(key);
    if (hit) return hit;
    const messages = readModel.listMessages(roomId, { afterSeq, limit });
    const page = { seqs: messages.map((m) => m.seq), frames: messages.map((m) => toJson({ type: 'message', message: m })) };
    if (messages.length === limit) {
      if (this.pages.size >= this.kept) this.pages.delete(this.pages.keys().next().value!);
      this.pages.set(key, page);
    }
    return page;
  }
}

import type Database from 'better-sqlite3';
import type { TokenTable } from './row-codec.ts';

/** Two-byte varints at most; past this, new keys and values stay literal (rows grow, nothing fails). */
const MAX_TOKENS = 16_384;
/** Values become tokens on their second sighting; the first sightings are remembered up to this many. */
const MAX_SEEN_ONCE = 50_000;

/**
 * The log file's token table (`row_tokens`): each short key or value text the codec has numbered, in
 * the file beside the rows that use it, so a row decodes with nothing but its file. Tokens are only
 * ever added, inside the transaction of the row that first used them; after a rollback the writer
 * re-reads the table (`reload`), so no row is written with a number the file does not hold.
 *
 * Keys are numbered on first sight; values on their second, so one-off strings from messages do not
 * fill the table. A hostile payload can still fill it (16,384 entries): rows then grow, and nothing
 * else changes.
 */
export class RowTokens implements TokenTable {
  private quotedTexts: Buffer[] = [];
  private readonly byText = new Map<string, number>();
  private readonly seenOnce = new Set<string>();
  private readonly insert: Database.Statement | undefined;
  private readonly selectAll: Database.Statement;

  constructor(db: Database.Database, writable: boolean) {
    this.selectAll = db.prepare('SELECT token, text FROM row_tokens ORDER BY token').raw();
    this.insert = writable ? db.prepare('INSERT INTO row_tokens (token, text) VALUES (?, ?)') : undefined;
    this.reload();
  }

  tokenFor(text: string, asKey: boolean): number {
    const known = this.byText.get(text);
    if (known !== undefined) return known;
    if (!this.insert || this.quotedTexts.length >= MAX_TOKENS) return -1;
    if (!asKey && !this.seenOnce.has(text)) {
      if (this.seenOnce.size >= MAX_SEEN_ONCE) this.seenOnce.clear();
      this.seenOnce.add(text);
      return -1;
    }
    const token = this.quotedTexts.length;
    this.insert.run(token, text);
    this.add(token, text);
    this.seenOnce.delete(text);
    return token;
  }

  quoted(token: number): Uint8Array | undefined {
    // A reader beside a running writer meets tokens added since it last looked.
    if (token >= this.quotedTexts.length) this.reload();
    return this.quotedTexts[token];
  }

  /** Re-reads the table: after a rollback (the writer), or on meeting a token not yet seen (a reader). */
  reload(): void {
    this.quotedTexts = [];
    this.byText.clear();
    for (const [token, text] of this.selectAll.all() as [number, string][]) this.add(token, text);
  }

  private add(token: number, text: string): void {
    if (token !== this.quotedTexts.length) throw new Error(`the log's token table has a gap at ${this.quotedTexts.length}`);
    this.quotedTexts.push(Buffer.from(`"${text}"`, 'latin1'));
    this.byText.set(text, token);
  }
}

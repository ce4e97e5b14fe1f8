import { sha256Hex } from '../shared/ids.ts';

export interface ChunkOptions {
  /** Upper bound on a chunk's length in characters (default 1200, ~300 tokens). */
  maxChars?: number;
  /** Characters of trailing sentences repeated at the start of the next chunk (default 200). */
  overlapChars?: number;
}

export interface Chunk {
  index: number;
  text: string;
  contentHash: string;
}

interface Piece {
  text: string;
  /** Separator before this piece when it is not first in its chunk. */
  sep: string;
  /** A Markdown heading: never the last piece of a chunk (it stays with the text under it). */
  heading: boolean;
}

const HEADING = /^#{1,6}\s+\S/;

/**
 * Splits a document into overlapping chunks on paragraph and sentence boundaries. Markdown-aware:
 * headings start a new section and always share a chunk with the text under them; fenced code blocks
 * are kept whole where they fit. Identical chunks (same normalised text) are kept once.
 */
export function chunkText(text: string, options: ChunkOptions = {}): Chunk[] {
  const max = Math.max(100, options.maxChars ?? 1200);
  const overlap = Math.max(0, Math.min(options.overlapChars ?? 200, Math.floor(max / 3)));
  const pieces = toPieces(text, max - overlap);

  const chunks: Piece[][] = [];
  let cur: Piece[] = [];
  let len = 0;
  const flush = () => {
    if (cur.some((p) => !p.heading)) chunks.push(cur);
    cur = [];
    len = 0;
  };
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i];
    let need = p.text.length + (cur.length ? p.sep.length : 0);
    if (p.heading && i + 1 < pieces.length) need += pieces[i + 1].text.length + pieces[i + 1].sep.length;
    if (cur.length > 0 && len + need > max) {
      const previous = cur;
      flush();
      // Overlap: repeat the previous chunk's last sentences, except across a section boundary.
      if (!p.heading) {
        const tail: Piece[] = [];
        let tailLen = 0;
        for (let j = previous.length - 1; j >= 0 && !previous[j].heading; j--) {
          const add = previous[j].text.length + previous[j].sep.length;
          if (tailLen + add > overlap || j === 0) break;
          tail.unshift(previous[j]);
          tailLen += add;
        }
        cur = tail;
        len = tail.reduce((n, t, k) => n + t.text.length + (k ? t.sep.length : 0), 0);
      }
    }
    len += p.text.length + (cur.length ? p.sep.length : 0);
    cur.push(p);
  }
  flush();

  const seen = new Set<string>();
  const out: Chunk[] = [];
  for (const c of chunks) {
    const body = c
      .map((p, k) => (k ? p.sep : '') + p.text)
      .join('')
      .trim();
    if (!body) continue;
    const contentHash = sha256Hex(body.replace(/\s+/g, ' ').toLowerCase());
    if (seen.has(contentHash)) continue;
    seen.add(contentHash);
    out.push({ index: out.length, text: body, contentHash });
  }
  return out;
}

/** Paragraphs (and headings, code blocks) → sentences no longer than `limit`. */
function toPieces(text: string, limit: number): Piece[] {
  const pieces: Piece[] = [];
  for (const block of blocks(text.replace(/\r\n?/g, '\n'))) {
    if (HEADING.test(block)) {
      pieces.push({ text: block, sep: '\n\n', heading: true });
      continue;
    }
    if (block.startsWith('```') && block.length <= limit) {
      pieces.push({ text: block, sep: '\n\n', heading: false });
      continue;
    }
    sentences(block, limit).forEach((s, i) => pieces.push({ text: s, sep: i === 0 ? '\n\n' : ' ', heading: false }));
  }
  return pieces;
}

/** Blank-line separated blocks; a heading line is a block of its own; fenced code stays one block. */
function blocks(text: string): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  let inFence = false;
  const push = () => {
    const b = cur.join('\n').trim();
    if (b) out.push(b);
    cur = [];
  };
  for (const line of text.split('\n')) {
    if (line.trimStart().startsWith('```')) {
      if (!inFence) push();
      cur.push(line);
      if (inFence) push();
      inFence = !inFence;
      continue;
    }
    if (inFence) {
      cur.push(line);
      continue;
    }
    if (line.trim() === '') push();
    else if (HEADING.test(line.trim())) {
      push();
      out.push(line.trim());
    } else cur.push(line);
  }
  push();
  return out;
}

/**
 * Sentence split (., !, ?, … and closing quotes or brackets, followed by whitespace), with over-long
 * sentences cut at word boundaries. Only whitespace is a boundary, so `.env.example`, `1.2.3` and
 * `example.com/a.html` stay whole: chunks are the document's own text, re-joined by the space it had.
 */
function sentences(block: string, limit: number): string[] {
  const flat = block.replace(/\s*\n\s*/g, ' ');
  const parts = flat.split(/(?<=[.!?…]["')\]]*)\s+/);
  const out: string[] = [];
  for (const raw of parts) {
    const s = raw.trim();
    if (!s) continue;
    if (s.length <= limit) {
      out.push(s);
      continue;
    }
    let line = '';
    for (const word of s.split(/\s+/)) {
      for (let w = word; w.length > 0; ) {
        const room = limit - (line ? line.length + 1 : 0);
        if (w.length <= room) {
          line = line ? `${line} ${w}` : w;
          w = '';
        } else if (line) {
          out.push(line);
          line = '';
        } else {
          out.push(w.slice(0, limit));
          w = w.slice(limit);
        }
      }
    }
    if (line) out.push(line);
  }
  return out;
}

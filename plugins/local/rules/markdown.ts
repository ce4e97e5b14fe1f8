/**
 * Knowledge chunks are mostly Markdown. A reply that quotes one must read as prose: these helpers reduce
 * Markdown to plain text and split it into whole sentences, so the generator never pastes a heading,
 * a list marker, emphasis, a code block or link syntax, and never cuts a sentence or a word in half.
 */

const HEADING = /^\s{0,3}#{1,6}(\s|$)/;
const FENCE = /^\s{0,3}(```|~~~)/;
const RULE = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;
const TABLE_SEPARATOR = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;
const LIST_ITEM = /^\s*(?:[-*+]|\d{1,9}[.)])\s+/;

/** Inline Markdown → its text: images and links keep their words, emphasis and code their content. */
export function inlineText(s: string): string {
  return s
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\[[^\]]*\]/g, '$1')
    .replace(/<(https?:\/\/[^>\s]+)>/g, '$1')
    .replace(/<\/?[A-Za-z][^>]*>/g, '')
    .replace(/`+([^`]*)`+/g, '$1')
    .replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, '$2')
    .replace(/(^|[^\p{L}\p{N}*_])([*_])(?=\S)([^*_]*?\S)\2(?![\p{L}\p{N}])/gu, '$1$3')
    .replace(/~~(?=\S)([\s\S]*?\S)~~/g, '$1')
    .replace(/\\([\\`*_{}[\]()#+\-.!>|])/g, '$1')
    .replace(/[*_]{2,}/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Markdown → blocks of plain text, each meant to be read on its own: a paragraph (its wrapped lines
 * joined), a list item, a quote line, a table row. Headings and rules are dropped (the document's title
 * says where a passage comes from), and so are fenced code blocks: a line of code is not a sentence
 * (inline code keeps its text).
 */
export function plainBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  let paragraph: string[] = [];
  const end = () => {
    if (paragraph.length) blocks.push(paragraph.join(' '));
    paragraph = [];
  };
  let inCode = false;
  for (const raw of markdown.split(/\r?\n/)) {
    if (FENCE.test(raw)) {
      end();
      inCode = !inCode;
      continue;
    }
    if (inCode) continue;
    if (!raw.trim() || HEADING.test(raw) || RULE.test(raw) || TABLE_SEPARATOR.test(raw)) {
      end();
      continue;
    }
    let line = raw.replace(/^\s{0,3}(>\s?)+/, '');
    if (LIST_ITEM.test(line)) {
      end();
      line = line.replace(LIST_ITEM, '');
    }
    if (/^\s*\|.*\|\s*$/.test(line)) {
      end();
      line = line
        .trim()
        .replace(/^\||\|$/g, '')
        .split('|')
        .map((c) => c.trim())
        .filter(Boolean)
        .join(', ');
    }
    const text = inlineText(line);
    if (text) paragraph.push(text);
  }
  end();
  return blocks.filter((b) => /[\p{L}\p{N}]/u.test(b));
}

/**
 * Whole sentences: split after ., ! or ? (or …) followed by a space and a capital, digit or quote, so
 * "e.g. this", "v1.2" and "3.5 GB" stay whole; a block that ends without punctuation (a list item, a
 * line of code) ends its sentence.
 */
export function splitSentences(block: string): string[] {
  // The chunker joins a block's lines with spaces, so list items arrive as "… minutes. - Refresh …"
  // or "… repository. 2. Run …": a marker after a sentence's end starts a new item.
  const items = block.split(/(?<=[.!?…]["'”’)\]]*)\s+(?:[-*+]|\d{1,9}[.)])\s+(?=\S)/u);
  return items.length > 1 ? items.flatMap(splitSentences) : splitItem(block);
}

function splitItem(block: string): string[] {
  const out: string[] = [];
  const re = /[.!?…]+["'”’)\]]*\s+(?=[\p{Lu}\p{N}"'“‘(])/gu;
  let start = 0;
  for (const m of block.matchAll(re)) {
    const end = m.index + m[0].trimEnd().length;
    out.push(block.slice(start, end).trim());
    start = m.index + m[0].length;
  }
  out.push(block.slice(start).trim());
  return out.filter((s) => /[\p{L}\p{N}]/u.test(s));
}

/** Markdown (or plain text) → its whole sentences as plain text, each ending in sentence punctuation. */
export function readableSentences(markdown: string): string[] {
  return plainBlocks(markdown).flatMap(splitSentences).map(endSentence);
}

export function endSentence(s: string): string {
  const t = s.trim().replace(/[\s,;:–—-]+$/, '');
  return /[.!?…]["'”’)\]]*$/.test(t) ? t : `${t}.`;
}

/**
 * At most `max` characters, cut after the last whole sentence that fits, or else at the last word
 * boundary with an ellipsis — never inside a word.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max);
  const sentenceEnd = Math.max(...['. ', '! ', '? '].map((p) => head.lastIndexOf(p)));
  if (sentenceEnd > max / 3) return head.slice(0, sentenceEnd + 1);
  const space = head.lastIndexOf(' ', max - 1);
  return `${(space > 0 ? head.slice(0, space) : head.slice(0, max - 1)).replace(/[\s,;:–—-]+$/, '')}…`;
}

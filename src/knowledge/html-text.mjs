// Plain JavaScript (typed by html-text.d.mts) so the document worker (document-worker.mjs) runs it
// without the TypeScript loader: a page of tens of MB takes seconds to reduce, off the main thread.

/**
 * The readable text of an HTML page, for chunking and embedding (never for display: nothing here
 * is a sanitizer). Scripts, styles and the head go; headings become Markdown headings (the chunker
 * splits on them), list items "- " lines, block ends line breaks; entities are decoded.
 *
 * Done a slice of about SLICE characters at a time: one global replace over a 24 MB page holds every
 * match at once (hundreds of MB). A slice ends just after a `>`, so no tag or entity is cut; the
 * whitespace at each seam is normalised together with the next slice.
 * @param {string} html @param {number} [slice] characters per slice (tests vary it) @returns {string}
 */
export function htmlToText(html, slice = SLICE) {
  const kept = dropBlocks(html);
  let out = '';
  let seam = '';
  for (let at = 0; at < kept.length; ) {
    const cut = kept.indexOf('>', at + slice);
    const end = cut < 0 ? kept.length : cut + 1;
    const text = normaliseSpace(seam + decodeEntities(reduceTags(kept.slice(at, end))));
    let body = text.length;
    while (body > 0 && (text[body - 1] === ' ' || text[body - 1] === '\n')) body--;
    out += text.slice(0, body);
    seam = text.slice(body);
    at = end;
  }
  return out.trim();
}

const SLICE = 1 << 20;

/** @param {string} s */
function reduceTags(s) {
  return s
    .replace(/<h([1-6])\b[^>]*>/gi, (_, n) => `\n\n${'#'.repeat(Number(n))} `)
    .replace(/<\/h[1-6]\s*>/gi, '\n\n')
    .replace(/<li\b[^>]*>/gi, '\n- ')
    .replace(/<(br|hr)\b[^>]*>/gi, '\n')
    .replace(/<\/(p|div|section|article|header|footer|main|aside|nav|ul|ol|tr|table|blockquote|pre|dl|dt|dd|figure|figcaption)\s*>/gi, '\n\n')
    .replace(/<(td|th)\b[^>]*>/gi, ' ')
    .replace(/<[^>]*>/g, '');
}

/** @param {string} s */
function normaliseSpace(s) {
  return s
    .replace(/[ \t\f\v\u00a0]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n');
}

const HIDDEN = /<!--|<(script|style|noscript|template|svg|head|iframe|object)\b/gi;

/**
 * Comments and elements whose content is not text, in one pass: a regex with a lazy body would go
 * quadratic on a page full of unclosed tags. An unclosed one drops the rest of the page.
 */
/** @param {string} html */
function dropBlocks(html) {
  let out = '';
  let at = 0;
  const lower = html.toLowerCase();
  HIDDEN.lastIndex = 0;
  for (let m = HIDDEN.exec(html); m; m = HIDDEN.exec(html)) {
    out += html.slice(at, m.index);
    const close = m[0] === '<!--' ? '-->' : `</${m[1].toLowerCase()}`;
    const end = lower.indexOf(close, m.index + m[0].length);
    if (end < 0) return out;
    at = m[0] === '<!--' ? end + 3 : lower.indexOf('>', end) + 1 || html.length;
    HIDDEN.lastIndex = at;
  }
  return out + html.slice(at);
}

/** @type {Record<string, string>} */
const NAMED = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  mdash: '—',
  ndash: '–',
  hellip: '…',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  laquo: '«',
  raquo: '»',
  copy: '©',
  reg: '®',
  trade: '™',
  deg: '°',
  middot: '·',
  bull: '•',
  times: '×',
  euro: '€',
  pound: '£',
  eacute: 'é',
  egrave: 'è',
  agrave: 'à',
  ccedil: 'ç',
  uuml: 'ü',
  ouml: 'ö',
  auml: 'ä',
  szlig: 'ß',
};

/** @param {string} s */
function decodeEntities(s) {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, body) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED[body.toLowerCase()] ?? whole;
  });
}

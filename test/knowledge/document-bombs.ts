import { once } from 'node:events';
import { constants, createDeflate, createDeflateRaw, deflateRawSync, deflateSync } from 'node:zlib';

/**
 * Hostile documents, built in the test (no fixtures): small files that cost a naive reader gigabytes
 * or minutes. Each is a valid PDF (correct cross-reference table) so pdfjs really tries to read it.
 */

type PdfObject = string | { dict: string; stream: Buffer };

/** A PDF of numbered objects (the first is object 1, the catalog), with a correct xref table. */
export function pdfOf(objects: PdfObject[]): Buffer {
  const parts: Buffer[] = [Buffer.from('%PDF-1.5\n', 'latin1')];
  let size = parts[0].length;
  const offsets: number[] = [];
  const push = (b: Buffer) => (parts.push(b), (size += b.length));
  objects.forEach((o, i) => {
    offsets.push(size);
    if (typeof o === 'string') push(Buffer.from(`${i + 1} 0 obj\n${o}\nendobj\n`, 'latin1'));
    else {
      push(Buffer.from(`${i + 1} 0 obj\n<< ${o.dict} /Length ${o.stream.length} >>\nstream\n`, 'latin1'));
      push(o.stream);
      push(Buffer.from('\nendstream\nendobj\n', 'latin1'));
    }
  });
  const xref = size;
  let tail = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) tail += `${String(off).padStart(10, '0')} 00000 n \n`;
  tail += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  push(Buffer.from(tail, 'latin1'));
  return Buffer.concat(parts);
}

const FONT = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';
const text = (s: string) => Buffer.from(`BT /F1 12 Tf 72 720 Td (${s}) Tj ET`, 'latin1');

/**
 * A page tree `depth` levels deep where every node lists the same child `fanout` times: about a
 * kilobyte that claims fanout^depth pages (10^9 by default), each found by walking the tree.
 */
export function pageTreeBomb(depth = 9, fanout = 10): Buffer {
  const objects: PdfObject[] = ['<< /Type /Catalog /Pages 2 0 R >>'];
  for (let level = 0; level < depth; level++) {
    const child = `${level + 3} 0 R `;
    objects.push(`<< /Type /Pages /Kids [${child.repeat(fanout)}] /Count ${fanout ** (depth - level)} >>`);
  }
  const font = objects.length + 3;
  objects.push(`<< /Type /Page /MediaBox [0 0 612 792] /Resources << /Font << /F1 ${font} 0 R >> >> /Contents ${objects.length + 2} 0 R >>`);
  objects.push({ dict: '', stream: text('boom') });
  objects.push(FONT);
  return pdfOf(objects);
}

/** A page tree whose root lists itself among its kids, claiming a million pages. */
export function selfReferentialPageTree(): Buffer {
  return pdfOf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 1000000 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
    { dict: '', stream: text('loop') },
    FONT,
  ]);
}

/** zlib (or raw deflate) of `bytes` spaces, deflated as a stream (the input is never held whole). */
export async function deflatedSpaces(bytes: number, raw = false): Promise<Buffer> {
  const chunk = Buffer.alloc(1 << 20, 0x20);
  const deflate = raw ? createDeflateRaw({ level: 9 }) : createDeflate({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (c: Buffer) => out.push(c));
  for (let n = 0; n < bytes; n += chunk.length) if (!deflate.write(chunk)) await once(deflate, 'drain');
  deflate.end();
  await once(deflate, 'end');
  return Buffer.concat(out);
}

const deflated: Record<number, Buffer> = {};

/**
 * One page whose content stream is a "flate bomb": a few hundred KB inflating to `inflatedMb` MB.
 * `layers: 2` deflates it twice ([/FlateDecode /FlateDecode]): a few KB.
 */
export async function flateBomb(inflatedMb: number, layers: 1 | 2 = 1): Promise<Buffer> {
  let stream = (deflated[inflatedMb] ??= await deflatedSpaces(inflatedMb * 1_048_576));
  if (layers === 2) stream = deflateSync(stream, { level: 9 });
  return onePage(layers === 2 ? '/Filter [/FlateDecode /FlateDecode]' : '/Filter /FlateDecode', stream);
}

/** A one-page PDF whose content stream is `stream`, with `dict` in its dictionary. */
function onePage(dict: string, stream: Buffer): Buffer {
  return pdfOf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
    { dict, stream },
    FONT,
  ]);
}

/**
 * Flate bombs dressed to slip past a scan that walks from `stream` to the next `endstream`: a decoy
 * `/upstream` key in the dictionary, and the bytes `endstream` planted in the compressed data (a
 * stored block holding them, then the bomb's blocks; pdfjs reads by /Length, not by keyword).
 */
export async function disguisedFlateBombs(inflatedMb: number): Promise<{ decoy: Buffer; planted: Buffer }> {
  const zlibStream = (deflated[inflatedMb] ??= await deflatedSpaces(inflatedMb * 1_048_576));
  const stored = deflateRawSync(Buffer.from(' endstream endobj '), { level: 0, finishFlush: constants.Z_SYNC_FLUSH });
  const planted = Buffer.concat([Buffer.from([0x78, 0x01]), stored, await deflatedSpaces(inflatedMb * 1_048_576, true), Buffer.alloc(4)]);
  return { decoy: onePage('/Filter /FlateDecode /Note /upstream', zlibStream), planted: onePage('/Filter /FlateDecode', planted) };
}

/** An HTML page of about `mb` MB of paragraphs. */
export function bigHtml(mb: number): Buffer {
  const para = '<p>Kettles switch off at one hundred degrees &amp; click. <b>Descale</b> them monthly.</p>\n';
  return Buffer.from(`<html><body>${para.repeat(Math.ceil((mb * 1_048_576) / para.length))}</body></html>`);
}

/**
 * LZW codes (PDF's LZWDecode, EarlyChange 1) for a run of spaces: code 32, then each new code once
 * (strings of 2, 3, … 3,839 spaces), then the longest code `repeats` times (3,839 bytes per 12 bits).
 * The code width follows the decoder's own rule, step by step.
 */
function lzwSpaces(repeats: number): Buffer {
  const codes = [32];
  for (let c = 258; c <= 4095; c++) codes.push(c);
  for (let i = 0; i < repeats; i++) codes.push(4095);
  codes.push(257);
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  let width = 9;
  let nextCode = 258;
  codes.forEach((code, i) => {
    for (let b = width - 1; b >= 0; b--) {
      acc = (acc << 1) | ((code >> b) & 1);
      if (++bits === 8) out.push(acc), (acc = 0), (bits = 0);
    }
    if (i > 0) {
      nextCode++;
      const n = nextCode + 1;
      width = n & (n - 1) ? width : Math.min(Math.floor(Math.log2(n) + 1), 12);
    }
  });
  if (bits) out.push(acc << (8 - bits));
  return Buffer.from(out);
}

/**
 * One page whose content stream is an LZW bomb: about 150 KB decoding to ~`decodedMb` MB. Not zlib,
 * so the decompressed-size check does not see it: only the pool's memory watch does.
 */
export function lzwBomb(decodedMb: number): Buffer {
  return onePage('/Filter /LZWDecode', lzwSpaces(Math.ceil((decodedMb * 1_048_576) / 3839)));
}

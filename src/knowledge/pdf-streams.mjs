// The decompressed size of a PDF's Flate streams, measured before pdfjs opens the file (in the
// document worker). pdfjs inflates into ArrayBuffers, which live outside the V8 heap and so outside
// the worker's resourceLimits: a 600 KB stream can inflate to gigabytes. Measuring with zlib, in
// chunks and with a budget, refuses such a "flate bomb" before any of it is held.
import { createInflate } from 'node:zlib';

const STREAM = Buffer.from('stream');

/** A zlib header (what pdfjs's FlateStream requires): deflate method, and the check bits. */
function zlibHeader(b) {
  return b.length >= 2 && (b[0] & 0x0f) === 8 && ((b[0] << 8) | b[1]) % 31 === 0;
}

/**
 * Inflates `data` while counting, stopping once more than `budget` bytes came out. Resolves to the
 * size, whether the budget was exceeded, and the output when it is itself a zlib stream (a second
 * layer to measure; anything else is counted, not kept). A corrupt stream counts what came out
 * before the damage (pdfjs reads that much too).
 */
function inflateCounted(data, budget) {
  return new Promise((resolve) => {
    const parts = [];
    let size = 0;
    let keep;
    let settled = false;
    const inflate = createInflate({ chunkSize: 64 * 1024 });
    const finish = (over) => {
      if (settled) return;
      settled = true;
      inflate.destroy();
      resolve({ size, over, output: keep && !over ? Buffer.concat(parts) : undefined });
    };
    inflate.on('data', (chunk) => {
      keep ??= zlibHeader(chunk);
      size += chunk.length;
      if (size > budget) finish(true);
      else if (keep) parts.push(chunk);
    });
    inflate.on('end', () => finish(false));
    inflate.on('error', () => finish(false));
    inflate.end(data);
  });
}

/**
 * Whether the Flate streams of a PDF inflate to more than `budget` bytes in all. A stream inflating
 * to another zlib stream (a filter chain [/FlateDecode /FlateDecode]) is counted layer by layer.
 * Streams that are not plain zlib (encrypted ones, other filters) are not measured.
 * @param {Uint8Array} bytes
 * @param {number} budget
 * @returns {Promise<boolean>} true when over the budget
 */
export async function inflatesBeyond(bytes, budget) {
  const pdf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let left = budget;
  // Every `stream` keyword, not one stream after another: jumping to the next `endstream` would let
  // a keyword hidden in a dictionary, or an `endstream` planted in compressed data, hide a stream.
  // Inflation runs to the end of the file (zlib stops at its own end), not to an `endstream`.
  for (let at = pdf.indexOf(STREAM); at >= 0; at = pdf.indexOf(STREAM, at + STREAM.length)) {
    if (at >= 3 && pdf.toString('latin1', at - 3, at) === 'end') continue;
    let start = at + STREAM.length;
    if (pdf[start] === 0x0d) start++;
    if (pdf[start] === 0x0a) start++;
    let data = pdf.subarray(start);
    while (data && zlibHeader(data)) {
      const r = await inflateCounted(data, left);
      if (r.over) return true;
      left -= r.size;
      data = r.output;
    }
  }
  return false;
}

/**
 * The row codec of log format 2 (src/events/sqlite/row-codec.ts) on a real log: size and CPU per row,
 * and an exact round trip of every text. `npx tsx bench/row-codec.ts <events.db>` — any Chronicle log
 * (format 1 or 2; e.g. one kept by `BENCH_KEEP_DATA=1 npx tsx bench/footprint.ts 300 10`).
 * Reports bytes of data + meta as text and as encoded, and µs per row to encode, decode, and (for
 * scale) JSON.parse the same texts. One run, one process: compare the ratios.
 */
import Database from 'better-sqlite3';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { decodeText, encodeText } from '../src/events/sqlite/row-codec.ts';
import { openRowFormat } from '../src/events/sqlite/row-format.ts';
import { RowTokens } from '../src/events/sqlite/row-tokens.ts';

const path = process.argv[2];
if (!path) throw new Error('usage: npx tsx bench/row-codec.ts <events.db>');
const source = new Database(path, { readonly: true });
const format = openRowFormat(source, false);
const texts: string[] = [];
for (const [data, meta] of source.prepare('SELECT data, meta FROM events ORDER BY seq').raw().all() as [unknown, unknown][]) {
  texts.push(format.text(data), format.text(meta));
}
source.close();

// A fresh token table in memory, filled as a new log would fill it.
const scratch = new Database(':memory:');
openRowFormat(scratch, true);
const tokens = new RowTokens(scratch, true);
const encoded = texts.map((t) => encodeText(t, tokens));
for (let i = 0; i < texts.length; i++) {
  if (decodeText(encoded[i], tokens) !== texts[i]) throw new Error(`text ${i} did not come back the same`);
}

function perRow(label: string, work: () => void, rounds = 20): number {
  work(); // warm
  const start = performance.now();
  for (let r = 0; r < rounds; r++) work();
  const us = ((performance.now() - start) * 1000) / rounds / (texts.length / 2);
  console.log(`${label.padEnd(34)} ${us.toFixed(2)} µs per row (data + meta)`);
  return us;
}

const textBytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
const codedBytes = encoded.reduce((n, b) => n + b.length, 0);
console.log(`machine: ${cpus()[0]?.model} × ${cpus().length}, Node ${process.version}`);
console.log(
  `${texts.length / 2} rows: text ${textBytes} B, encoded ${codedBytes} B (${(codedBytes / textBytes).toFixed(3)}×), ${scratch.prepare('SELECT count(*) FROM row_tokens').pluck().get()} tokens`,
);
let sink = 0;
perRow('encode', () => {
  for (const t of texts) sink += encodeText(t, tokens).length;
});
perRow('decode', () => {
  for (const b of encoded) sink += decodeText(b, tokens).length;
});
perRow('JSON.parse (for scale)', () => {
  for (const t of texts) sink += JSON.parse(t) === null ? 0 : 1;
});
if (sink === 0) console.log('');

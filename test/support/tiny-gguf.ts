import { writeFileSync } from 'node:fs';

/**
 * Writes a tiny llama-architecture GGUF (v3) with random F32 weights and an SPM tokenizer (control
 * tokens, a few hundred normal tokens, all 256 byte-fallback tokens). It generates gibberish — it
 * exists to test the node-llama-cpp plumbing (load, stream, stop, cancel) without downloading a model.
 */
export interface TinyGgufOptions {
  nEmbd?: number;
  nHead?: number;
  nLayer?: number;
  nFf?: number;
  contextLength?: number;
  seed?: number;
}

const enum T {
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
}

class Writer {
  private chunks: Buffer[] = [];
  size = 0;
  push(b: Buffer) {
    this.chunks.push(b);
    this.size += b.length;
  }
  u32(v: number) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32(v: number) {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v: number) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v: number) {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  str(s: string) {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.push(b);
  }
  pad(alignment: number) {
    const rem = this.size % alignment;
    if (rem) this.push(Buffer.alloc(alignment - rem));
  }
  buffer() {
    return Buffer.concat(this.chunks);
  }
}

type Kv =
  | [string, T.UINT32, number]
  | [string, T.FLOAT32, number]
  | [string, T.STRING, string]
  | [string, T.BOOL, boolean]
  | [string, 'strings', string[]]
  | [string, 'floats', number[]]
  | [string, 'ints', number[]];

function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function tinyVocabulary(): { tokens: string[]; types: number[]; scores: number[] } {
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [2, 3, 3];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(6);
  }
  const normal = [
    '▁',
    ...'abcdefghijklmnopqrstuvwxyz'.split(''),
    ...'abcdefghijklmnopqrstuvwxyz'.split('').map((c) => `▁${c}`),
    '▁the',
    '▁hello',
    '▁world',
    '▁and',
    '▁is',
    '.',
    ',',
    '!',
    '?',
  ];
  for (const t of normal) {
    tokens.push(t);
    types.push(1);
  }
  const scores = tokens.map((t, i) => (types[i] === 1 ? -i / 10 : 0));
  return { tokens, types, scores };
}

export function writeTinyLlamaGguf(path: string, options: TinyGgufOptions = {}): void {
  const nEmbd = options.nEmbd ?? 64;
  const nHead = options.nHead ?? 4;
  const nLayer = options.nLayer ?? 2;
  const nFf = options.nFf ?? 128;
  const ctx = options.contextLength ?? 512;
  const rand = mulberry32(options.seed ?? 42);
  const vocab = tinyVocabulary();
  const nVocab = vocab.tokens.length;
  const alignment = 32;

  const kvs: Kv[] = [
    ['general.architecture', T.STRING, 'llama'],
    ['general.name', T.STRING, 'chronicle-tiny-random'],
    ['general.alignment', T.UINT32, alignment],
    ['llama.context_length', T.UINT32, ctx],
    ['llama.embedding_length', T.UINT32, nEmbd],
    ['llama.block_count', T.UINT32, nLayer],
    ['llama.feed_forward_length', T.UINT32, nFf],
    ['llama.attention.head_count', T.UINT32, nHead],
    ['llama.attention.head_count_kv', T.UINT32, nHead],
    ['llama.rope.dimension_count', T.UINT32, nEmbd / nHead],
    ['llama.attention.layer_norm_rms_epsilon', T.FLOAT32, 1e-5],
    ['llama.vocab_size', T.UINT32, nVocab],
    ['tokenizer.ggml.model', T.STRING, 'llama'],
    ['tokenizer.ggml.tokens', 'strings', vocab.tokens],
    ['tokenizer.ggml.scores', 'floats', vocab.scores],
    ['tokenizer.ggml.token_type', 'ints', vocab.types],
    ['tokenizer.ggml.bos_token_id', T.UINT32, 1],
    ['tokenizer.ggml.eos_token_id', T.UINT32, 2],
    ['tokenizer.ggml.unknown_token_id', T.UINT32, 0],
    ['tokenizer.ggml.add_bos_token', T.BOOL, true],
  ];

  // Tensors: [name, dims (ne0 first), data]. Output rows of control tokens are zero so that greedy
  // decoding of random logits practically never picks end-of-sequence at once.
  const tensors: [string, number[], Float32Array][] = [];
  const randomTensor = (dims: number[], scale: number) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * scale;
    return a;
  };
  const ones = (n: number) => new Float32Array(n).fill(1);
  tensors.push(['token_embd.weight', [nEmbd, nVocab], randomTensor([nEmbd, nVocab], 0.5)]);
  for (let l = 0; l < nLayer; l++) {
    const s = 1 / Math.sqrt(nEmbd);
    tensors.push([`blk.${l}.attn_norm.weight`, [nEmbd], ones(nEmbd)]);
    tensors.push([`blk.${l}.attn_q.weight`, [nEmbd, nEmbd], randomTensor([nEmbd, nEmbd], s)]);
    tensors.push([`blk.${l}.attn_k.weight`, [nEmbd, nEmbd], randomTensor([nEmbd, nEmbd], s)]);
    tensors.push([`blk.${l}.attn_v.weight`, [nEmbd, nEmbd], randomTensor([nEmbd, nEmbd], s)]);
    tensors.push([`blk.${l}.attn_output.weight`, [nEmbd, nEmbd], randomTensor([nEmbd, nEmbd], s)]);
    tensors.push([`blk.${l}.ffn_norm.weight`, [nEmbd], ones(nEmbd)]);
    tensors.push([`blk.${l}.ffn_gate.weight`, [nEmbd, nFf], randomTensor([nEmbd, nFf], s)]);
    tensors.push([`blk.${l}.ffn_up.weight`, [nEmbd, nFf], randomTensor([nEmbd, nFf], s)]);
    tensors.push([`blk.${l}.ffn_down.weight`, [nFf, nEmbd], randomTensor([nFf, nEmbd], 1 / Math.sqrt(nFf))]);
  }
  tensors.push(['output_norm.weight', [nEmbd], ones(nEmbd)]);
  const output = randomTensor([nEmbd, nVocab], 1);
  for (let tok = 0; tok < nVocab; tok++) if (vocab.types[tok] !== 1) output.fill(0, tok * nEmbd, (tok + 1) * nEmbd);
  tensors.push(['output.weight', [nEmbd, nVocab], output]);

  const w = new Writer();
  w.push(Buffer.from('GGUF', 'ascii'));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(kvs.length);
  for (const [key, type, value] of kvs) {
    w.str(key);
    if (type === 'strings' || type === 'floats' || type === 'ints') {
      w.u32(T.ARRAY);
      const arr = value as (string | number)[];
      w.u32(type === 'strings' ? T.STRING : type === 'floats' ? T.FLOAT32 : T.INT32);
      w.u64(arr.length);
      for (const v of arr) {
        if (type === 'strings') w.str(v as string);
        else if (type === 'floats') w.f32(v as number);
        else w.i32(v as number);
      }
      continue;
    }
    w.u32(type);
    if (type === T.STRING) w.str(value as string);
    else if (type === T.UINT32) w.u32(value as number);
    else if (type === T.FLOAT32) w.f32(value as number);
    else if (type === T.BOOL) w.push(Buffer.from([value ? 1 : 0]));
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const [name, dims, data] of tensors) {
    w.str(name);
    w.u32(dims.length);
    for (const d of dims) w.u64(d);
    w.u32(0); // GGML_TYPE_F32
    w.u64(offset);
    offsets.push(offset);
    offset += Math.ceil(data.byteLength / alignment) * alignment;
  }
  w.pad(alignment);
  for (const [, , data] of tensors) {
    w.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    w.pad(alignment);
  }
  writeFileSync(path, w.buffer());
}

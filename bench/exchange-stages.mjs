/**
 * Where the server's main thread goes per exchange, by stage: `node bench/exchange-stages.mjs <file.cpuprofile>`
 * (the main-thread profile of `BENCH_PHASES=chat16 node --cpu-prof --import tsx bench/transport.ts`).
 * Only the steady state counts: from 1 s after the first sample under runTurn to the last one (start-up,
 * module loading and teardown left out). Each sample goes to the first rule, in the order below, that
 * some frame of its stack matches, so e.g. the projections' transaction run from inside the log's
 * commit counts as projections, and the model call's socket reads as the model call.
 * bench/turn-stages.mjs splits the turn's own share further.
 */
import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const inTurn = (id) => {
  for (let x = id; x !== undefined; x = parent.get(x)) if (byId.get(x).callFrame.functionName === 'runTurn') return true;
  return false;
};
let t = p.startTime,
  first = Infinity,
  last = 0;
const ts = [];
for (let i = 0; i < p.samples.length; i++) {
  t += p.timeDeltas[i];
  ts.push(t);
  if (inTurn(p.samples[i])) {
    if (first === Infinity) first = t;
    last = t;
  }
}
first += 1e6;
const RULES = [
  ['projections (follower: read-model transaction)', /projections\/index\.ts/],
  ['actor system fold (follower: routing, XState)', /^onEvent .*actors\/system\.ts/],
  ['WebSocket fan-out (follower → frames)', /transport\/fanout\.ts|^onEphemeral /],
  ['message embedder', /message-embedder/],
  ['WebSocket socket writes (uWS send, syscalls)', /^flushSocket /],
  ['WebSocket incoming frame (parse, session check, post)', /^onFrame /],
  ['model call: openai SDK + Node fetch (undici, llhttp)', /openai|keep-alive|wasm:|undici/],
  ['snapshots', /snapshots\.ts/],
  ['turn (runTurn, without its model call)', /^runTurn /],
  ['log append (validate, hash chain, SQLite commit)', /events\/sqlite|events\/append-rules|schema-registry/],
  ['model-call layer (resilient, call scope)', /src\/models\//],
];
const agg = new Map();
let all = 0;
for (let i = 0; i < p.samples.length; i++) {
  if (ts[i] < first || ts[i] > last) continue;
  const id = p.samples[i];
  const d = p.timeDeltas[i] ?? 0;
  const cf0 = byId.get(id).callFrame;
  if (cf0.functionName === '(idle)') continue;
  all += d;
  const st = [];
  for (let x = id; x !== undefined; x = parent.get(x)) {
    const c = byId.get(x).callFrame;
    st.push(`${c.functionName || '(anon)'} ${c.url}`);
  }
  let b = cf0.functionName === '(garbage collector)' ? 'garbage collection' : null;
  if (!b)
    for (const [name, re] of RULES)
      if (st.some((k) => re.test(k))) {
        b = name;
        break;
      }
  b ??= 'promise/timer machinery and other';
  agg.set(b, (agg.get(b) ?? 0) + d);
}
console.log(`steady window ${((last - first) / 1e6).toFixed(1)} s, busy ${(all / 1e6).toFixed(2)} s`);
for (const [k, v] of [...agg].sort((a, b) => b[1] - a[1])) console.log(`| ${k} | ${((100 * v) / all).toFixed(1)} % |`);

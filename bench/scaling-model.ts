/**
 * The arithmetic of docs/SCALING.md, computed rather than typed: how many events/s one serialised head
 * row can take, how many partitions a load needs, and (a real simulation, cheap) how many actors move
 * when a node joins or leaves under rendezvous hashing.
 *
 *   npx tsx bench/scaling-model.ts
 */
import { ownerOf } from '../src/cluster/rendezvous.ts';

/**
 * One head row: a group of n events holds the lock for two round trips (r ms each), the WAL flush of a
 * durable commit (f ms) and inserting n rows (c ms each). Events/s = n / hold.
 */
const headRate = (n: number, r: number, f: number, c: number) => (n / (2 * r + f + n * c)) * 1000;

const cases = [
  { name: 'this box, loaded (r 2.5, f 0 [fsync off], c 0.18)', r: 2.5, f: 0, c: 0.18 },
  { name: 'LAN server, durable (r 0.3, f 1.0, c 0.02)', r: 0.3, f: 1.0, c: 0.02 },
  { name: 'cross-AZ, durable (r 1.0, f 2.0, c 0.02)', r: 1.0, f: 2.0, c: 0.02 },
];
process.stdout.write('events/s through one head row, by events per group commit (n)\n');
process.stdout.write(`${'case'.padEnd(52)}${[1, 10, 100, 1000, 10000].map((n) => `n=${n}`.padStart(10)).join('')}   ceiling 1/c\n`);
for (const k of cases) {
  process.stdout.write(
    `${k.name.padEnd(52)}${[1, 10, 100, 1000, 10000]
      .map((n) =>
        Math.round(headRate(n, k.r, k.f, k.c))
          .toLocaleString('en')
          .padStart(10),
      )
      .join('')}   ${Math.round(1000 / k.c).toLocaleString('en')}\n`,
  );
}

// Loads: replies/s of today's single node (bench/RESULTS-transport.md: 370-770 at 16 rooms, take 500),
// times 100 and 10,000; EVENTS_PER_REPLY from bench/cluster.ts's run (printed there).
const EVENTS_PER_REPLY = Number(process.env.EVENTS_PER_REPLY ?? 6.5);
const PER_HEAD = (1000 / 0.02) * 0.5; // a head row run at half its LAN ceiling
process.stdout.write(`\nload (replies/s)  events/s  partitions at ${PER_HEAD.toLocaleString('en')} events/s each\n`);
for (const x of [1, 100, 10_000]) {
  const replies = 500 * x;
  const events = replies * EVENTS_PER_REPLY;
  process.stdout.write(
    `${`${x}x = ${replies.toLocaleString('en')}`.padEnd(18)}${events.toLocaleString('en').padStart(12)}  ${Math.max(1, Math.ceil(events / PER_HEAD)).toLocaleString('en')}\n`,
  );
}

// Rendezvous: actors that move when one node joins an N-node cluster (ideal: 1/(N+1)).
process.stdout.write('\nactors moved when a node joins (100,000 actors)\n');
const actors = Array.from({ length: 100_000 }, (_, i) => `agent-${i}`);
for (const n of [2, 3, 10, 50]) {
  const before = Array.from({ length: n }, (_, i) => `n${i}`);
  const after = [...before, `n${n}`];
  let moved = 0;
  let wrong = 0;
  for (const a of actors) {
    const o1 = ownerOf(a, before);
    const o2 = ownerOf(a, after);
    if (o1 !== o2) {
      moved += 1;
      if (o2 !== `n${n}`) wrong += 1; // moved somewhere other than the new node: never, by construction
    }
  }
  process.stdout.write(
    `${n} -> ${n + 1} nodes: ${((moved / actors.length) * 100).toFixed(2)} % moved (ideal ${(100 / (n + 1)).toFixed(2)} %), ${wrong} between old nodes\n`,
  );
}

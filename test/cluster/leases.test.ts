import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Membership } from '../../src/cluster/membership.ts';
import { ownerOf } from '../../src/cluster/rendezvous.ts';
import { LeaseLostError } from '../../src/events/errors.ts';
import { PostgresEventStore } from '../../src/events/postgres/postgres-event-store.ts';
import { eventRegistry } from '../../src/domain/event-registry.ts';
import { createTestDatabase, hasPostgres } from '../support/postgres.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const actors = Array.from({ length: 3000 }, (_, i) => `agent-${i}`);

describe('rendezvous ownership', () => {
  it('every node computes the same owner, spread evenly, and a leaving node moves only its own actors', () => {
    const nodes = ['n1', 'n2', 'n3'];
    const owners = actors.map((a) => ownerOf(a, nodes)!);
    expect(actors.map((a) => ownerOf(a, [...nodes].reverse()))).toEqual(owners);
    for (const n of nodes) {
      const share = owners.filter((o) => o === n).length;
      expect(share).toBeGreaterThan(850); // 1,000 ± 15 %
      expect(share).toBeLessThan(1150);
    }
    const after = actors.map((a) => ownerOf(a, ['n1', 'n3'])!);
    actors.forEach((a, i) => {
      if (owners[i] !== 'n2') expect(after[i]).toBe(owners[i]);
      else expect(after[i]).not.toBe('n2');
    });
    expect(ownerOf('agent-1', [])).toBeUndefined();
  });
});

async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.runIf(hasPostgres())('leases in PostgreSQL', () => {
  let url = '';
  const open: { stop(): Promise<void> }[] = [];
  beforeAll(async () => {
    url = await createTestDatabase('leases');
  });
  afterAll(async () => {
    for (const m of open.reverse()) await m.stop().catch(() => undefined);
  });

  it('two nodes split the actors, the fence refuses an append for an actor the node does not own, and a leaving node hands over', async () => {
    const a = await Membership.start({ url, nodeId: 'a', leaseMs: 1000 });
    open.push(a);
    const b = await Membership.start({ url, nodeId: 'b', leaseMs: 1000 });
    open.push(b);
    await until(() => a.live.length === 2 && b.live.length === 2, 3000, 'both nodes to see each other');
    const sample = actors.slice(0, 200);
    for (const id of sample) expect(Number(a.owns(id)) + Number(b.owns(id))).toBe(1);
    const ofA = sample.find((id) => a.owns(id))!;
    const ofB = sample.find((id) => b.owns(id))!;
    expect(b.claim(ofA)).toBeUndefined();

    const store = await PostgresEventStore.open(url, { registry: eventRegistry, fence: a.fence, poolSize: 2 });
    open.push({ stop: () => store.close() });
    const event = (id: string) => [{ id, type: 'agent.started' as const, data: { agentId: 'x' } }];
    await store.append('agent-x', event('e1'), { claim: a.claim(ofA) });
    // A claim naming an actor of b's, under a's token: refused inside the transaction, nothing written.
    await expect(store.append('agent-x', event('e2'), { claim: { actorId: ofB, token: a.token! } })).rejects.toBeInstanceOf(LeaseLostError);
    // Appends without a claim (a REST call's) are not fenced.
    await store.append('agent-x', event('e3'));
    expect((await store.readStream('agent-x')).map((e) => e.id)).toEqual(['e1', 'e3']);

    await b.stop();
    await until(() => a.live.join() === 'a', 3000, 'a to see b leave');
    expect(sample.every((id) => a.owns(id))).toBe(true);
    await store.append('agent-x', event('e4'), { claim: a.claim(ofB) });
    expect((await store.readStream('agent-x')).map((e) => e.id)).toEqual(['e1', 'e3', 'e4']);
  });

  it('a node paused past its lease (SIGSTOP) is fenced when it resumes (SIGCONT), notices, and joins again under a new token', async () => {
    const fenceUrl = await createTestDatabase('fence');
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'test/cluster/fixtures/lease-node.ts', fenceUrl, 'paused', 'agent-fenced', '600'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: string[] = [];
    let buffered = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      lines.push(...parts);
    });
    try {
      await until(() => lines.some((l) => l.startsWith('appended')), 15_000, 'the child to append under its claim');
      const oldToken = Number(lines.find((l) => l.startsWith('ready'))!.split(' ')[1]);
      child.kill('SIGSTOP');
      const stoppedAt = lines.length;
      const other = await Membership.start({ url: fenceUrl, nodeId: 'other', leaseMs: 600 });
      open.push(other);
      // Past the paused node's lease, the other node is the only live one and owns the actor.
      await until(() => other.live.join() === 'other' && other.owns('agent-fenced'), 5000, 'the other node to take over');
      const store = await PostgresEventStore.open(fenceUrl, { registry: eventRegistry, poolSize: 1 });
      open.push({ stop: () => store.close() });
      const before = (await store.readStream('agent-test')).length;

      child.kill('SIGCONT');
      await until(() => lines.slice(stoppedAt).filter((l) => l.startsWith('refused')).length >= 3, 5000, 'the resumed node to try appending');
      const after = lines.slice(stoppedAt);
      // Every append under the old claim is refused by the fence; none reached the log.
      expect(after.filter((l) => l.startsWith('appended'))).toEqual([]);
      expect(after.find((l) => l.startsWith('refused'))).toMatch(/LeaseLostError/);
      expect((await store.readStream('agent-test')).length).toBe(before);
      // It noticed on its own, and came back under a new token.
      await until(() => lines.some((l) => l.includes('lost the cluster lease')), 3000, 'the node to notice');
      await until(() => other.live.includes('paused'), 3000, 'the node to join again');
      const row = other.nodes.find((n) => n.nodeId === 'paused')!;
      expect(row.token).toBeGreaterThan(oldToken);
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);
});

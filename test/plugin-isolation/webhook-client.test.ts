import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryQueue, SIGNATURE_HEADER, sign, startWebhookBridge, verify, type WebhookBridge } from '../../plugins/webhook/index.ts';
import { ADMIN_PASSWORD, startRealServer } from './support/real-server.ts';

/** A local receiver answering with the statuses given, in order (then the last one forever). */
async function receiver(statuses: number[]) {
  const got: { headers: IncomingMessage['headers']; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.writeHead(statuses[Math.min(got.length - 1, statuses.length - 1)]!).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

describe('webhook signatures', () => {
  it('accepts its own signature and refuses a changed body, another secret, a stale timestamp and a missing header', () => {
    const now = Date.UTC(2026, 0, 1);
    const header = sign('s3cret', '{"text":"hi"}', now);
    expect(verify('s3cret', header, '{"text":"hi"}', now)).toEqual({ ok: true });
    expect(verify('s3cret', header, '{"text":"hI"}', now)).toEqual({ ok: false, reason: 'signature does not match' });
    expect(verify('other', header, '{"text":"hi"}', now)).toEqual({ ok: false, reason: 'signature does not match' });
    expect(verify('s3cret', header, '{"text":"hi"}', now + 301_000)).toEqual({ ok: false, reason: 'signature timestamp outside the tolerance window' });
    expect(verify('s3cret', undefined, '{}', now).ok).toBe(false);
    expect(verify('s3cret', 'garbage', '{}', now).ok).toBe(false);
  });
});

describe('outbound delivery', () => {
  it('retries 5xx until delivered; each attempt is signed', async () => {
    const r = await receiver([503, 500, 200]);
    closers.push(r.close);
    const delivered: unknown[] = [];
    const q = new DeliveryQueue({ url: r.url, secret: 'k', baseDelayMs: 5, onDelivered: (d) => delivered.push(d) });
    q.deliver('m1', { text: 'hello' });
    await q.idle();
    expect(delivered).toEqual([{ id: 'm1', attempts: 3, status: 200 }]);
    expect(r.got).toHaveLength(3);
    for (const g of r.got) expect(verify('k', g.headers[SIGNATURE_HEADER] as string, g.body)).toEqual({ ok: true });
    expect(q.deadLetters).toEqual([]);
  });

  it('dead-letters after the last attempt (5xx) or at once (4xx), with each attempt recorded in the dead-letter file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webhook-dl-'));
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    const failing = await receiver([500]);
    const rejecting = await receiver([400]);
    closers.push(failing.close, rejecting.close);
    const file = join(dir, 'dead.jsonl');
    const q1 = new DeliveryQueue({ url: failing.url, secret: 'k', maxAttempts: 3, baseDelayMs: 5, deadLetterFile: file });
    const q2 = new DeliveryQueue({ url: rejecting.url, secret: 'k', maxAttempts: 3, baseDelayMs: 5, deadLetterFile: file });
    q1.deliver('m1', { text: 'a' });
    q2.deliver('m2', { text: 'b' });
    await Promise.all([q1.idle(), q2.idle()]);
    const dead = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const byId = Object.fromEntries(dead.map((d) => [d.id, d]));
    expect(byId.m1.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['HTTP 500', 'HTTP 500', 'HTTP 500']);
    expect(byId.m2.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['HTTP 400']);
    expect(byId.m1.payload).toEqual({ text: 'a' });
    expect(failing.got).toHaveLength(3);
    expect(rejecting.got).toHaveLength(1);
  });

  it('an unreachable URL is retried and then dead-lettered', async () => {
    const q = new DeliveryQueue({ url: 'http://127.0.0.1:9/nothing', secret: 'k', maxAttempts: 2, baseDelayMs: 5 });
    q.deliver('m1', {});
    await q.idle();
    expect(q.deadLetters[0]!.attempts).toHaveLength(2);
    expect(q.deadLetters[0]!.attempts[0]!.outcome).toMatch(/^network:/);
  });
});

describe('webhook bridge against a real server', () => {
  let real: Awaited<ReturnType<typeof startRealServer>>;
  beforeAll(async () => {
    real = await startRealServer();
  }, 60_000);
  afterAll(async () => real?.close());

  it('a signed inbound message reaches the room; the agent reply is delivered signed to the outbound URL; bad signatures get 401', async () => {
    const out = await receiver([200]);
    closers.push(out.close);
    // A room with the default agent, made by the account the bridge posts as.
    const login = (await (
      await fetch(`${real.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
      })
    ).json()) as { accessToken: string };
    const auth = { authorization: `Bearer ${login.accessToken}`, 'content-type': 'application/json' };
    const agents = ((await (await fetch(`${real.url}/api/v1/agents`, { headers: auth })).json()) as any).agents;
    const room = (
      (await (
        await fetch(`${real.url}/api/v1/rooms`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'hooks', agentIds: [agents[0].id] }) })
      ).json()) as any
    ).room;

    const bridge: WebhookBridge = await startWebhookBridge({
      chronicleUrl: real.url,
      username: 'admin',
      password: ADMIN_PASSWORD,
      secret: 'shared',
      outboundUrl: out.url,
      delivery: { baseDelayMs: 5 },
    });
    closers.push(() => bridge.close());

    const body = JSON.stringify({ text: 'ping from outside', id: 'ext-1' });
    const bad = await fetch(`${bridge.inbound.url}/webhook/rooms/${room.id}`, { method: 'POST', headers: { [SIGNATURE_HEADER]: sign('wrong', body) }, body });
    expect(bad.status).toBe(401);
    const ok = await fetch(`${bridge.inbound.url}/webhook/rooms/${room.id}`, { method: 'POST', headers: { [SIGNATURE_HEADER]: sign('shared', body) }, body });
    expect(ok.status).toBe(202);
    const { messageId } = (await ok.json()) as { messageId: string };
    // A retried request (same id) posts nothing new.
    const again = await fetch(`${bridge.inbound.url}/webhook/rooms/${room.id}`, {
      method: 'POST',
      headers: { [SIGNATURE_HEADER]: sign('shared', body) },
      body,
    });
    expect(((await again.json()) as { messageId: string }).messageId).toBe(messageId);

    for (let i = 0; i < 200 && out.got.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(out.got).toHaveLength(1);
    expect(verify('shared', out.got[0]!.headers[SIGNATURE_HEADER] as string, out.got[0]!.body)).toEqual({ ok: true });
    const delivered = JSON.parse(out.got[0]!.body);
    expect(delivered.message).toMatchObject({ roomId: room.id, authorKind: 'agent', inReplyTo: messageId });
    expect(delivered.message.text).toContain('ping from outside');

    const other = JSON.stringify({ text: 'to nowhere', id: 'ext-2' });
    const unknown = await fetch(`${bridge.inbound.url}/webhook/rooms/00000000-0000-4000-8000-000000000000`, {
      method: 'POST',
      headers: { [SIGNATURE_HEADER]: sign('shared', other) },
      body: other,
    });
    expect(unknown.status).toBe(404);
  }, 40_000);
});

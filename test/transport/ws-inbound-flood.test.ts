import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/transport-harness.ts';
import { apiClient } from '../support/http-client.ts';
import { connectWs } from '../support/ws-client.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMb = () => {
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
};

let t: TestServer;
let token: string;
let roomId: string;
beforeAll(async () => {
  t = await startTestServer({ maxMessageChars: 20_000 });
  const api = apiClient(t.url);
  token = (await api.login('admin', t.adminPassword)).accessToken;
  roomId = (await api.post('/api/v1/rooms', { name: 'flood' }, { token })).body.room.id;
});
afterAll(async () => t?.close());

// Issue 15 finding 3: frames waited in a per-socket queue without bound. A server under load handles
// each message frame slower than a client can send them (here: every append takes 50 ms), and a
// client that never reads and keeps sending grew the heap by everything it sent.
it('a non-reading socket flooding frames is closed with 1008 and the server’s heap stays bounded', async () => {
  const store = t.store;
  const append = store.append.bind(store);
  store.append = (async (...args: Parameters<typeof append>) => {
    await new Promise((r) => setTimeout(r, 50));
    return append(...args);
  }) as typeof store.append;
  try {
    const before = heapMb();
    const s = await connectWs(t.wsUrl, token);
    s.ws.pause(); // the client stops reading
    const frames = 2500;
    const text = 'f'.repeat(16_000); // 2,500 × 16 KB ≈ 40 MB sent
    for (let i = 0; i < frames; i++) s.send({ type: 'message', roomId, text, clientMessageId: `flood-${i}` });
    // Bounded wait: until the server has read every frame or closed the socket.
    const deadline = Date.now() + 8000;
    let closedCode: number | undefined;
    void s.closed.then((c) => (closedCode = c.code));
    s.ws.resume(); // read again only to see the close frame
    while (closedCode === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const grown = heapMb() - before;
    expect(closedCode).toBe(1008);
    expect(grown).toBeLessThan(15);
  } finally {
    store.append = append;
  }
}, 20_000);

it('a client that waits for answers may send as many frames as it likes', async () => {
  const s = await connectWs(t.wsUrl, token);
  for (let i = 0; i < 600; i++) {
    s.send({ type: 'ping' });
    await s.next((f) => f.type === 'pong');
  }
  // 100 frames sent at once is within the bound (256) too.
  for (let i = 0; i < 100; i++) s.send({ type: 'ping' });
  for (let i = 0; i < 100; i++) await s.next((f) => f.type === 'pong');
  s.close();
});

import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/transport-harness.ts';
import { apiClient } from '../support/http-client.ts';
import { connectWs } from '../support/ws-client.ts';

let t: TestServer;
let token: string;
beforeAll(async () => {
  t = await startTestServer({}, { wsAuthTimeoutMs: 5000 });
  token = (await apiClient(t.url).login('admin', t.adminPassword)).accessToken;
});
afterAll(async () => t?.close());

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

// Issue 15 finding 9: a well-formed JWT whose signature's last character was changed. Base64url
// decoders ignore that character's unused low bits, so a few of the alterations decoded to the very
// same signature and the socket was silently authenticated.
it('every alteration of the signature’s last character closes a ?token= socket with 4401', async () => {
  const last = token.at(-1)!;
  const alterations = [...BASE64URL].filter((c) => c !== last).map((c) => token.slice(0, -1) + c);
  const outcomes = await Promise.all(
    alterations.map(async (alt) => {
      const s = await connectWs(t.wsUrl, alt);
      s.send({ type: 'ping' });
      const first = await Promise.race([
        s.closed.then((c) => `close ${c.code}`),
        s
          .next(() => true, 3000)
          .then(
            (f) => `frame ${f.type}`,
            () => 'nothing',
          ),
      ]);
      s.close();
      return first;
    }),
  );
  expect(outcomes.filter((o) => o !== 'close 4401')).toEqual([]);
  // The real token still works on the same path.
  const ok = await connectWs(t.wsUrl, token);
  ok.send({ type: 'ping' });
  expect(await ok.next()).toEqual({ type: 'pong' });
  ok.close();
});

it('the same altered tokens are refused (401) by REST too', async () => {
  const last = token.at(-1)!;
  const api = apiClient(t.url);
  for (const c of BASE64URL) {
    if (c === last) continue;
    const r = await api.get('/api/v1/rooms', { token: token.slice(0, -1) + c });
    expect(r.status, `last character ${c}`).toBe(401);
  }
});

// Load generator for bench/transport.ts, run as a separate process so it does not share the
// server's event loop. Plain JavaScript: started with `node`, no transpiler in the measured path.
import http from 'node:http';
import WebSocket from 'ws';

const [mode, ...args] = process.argv.slice(2);
const now = () => performance.timeOrigin + performance.now();
const pct = (xs, p) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

async function httpLoad(url, conns, durationMs) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: conns });
  const u = new URL(url);
  const lat = [];
  let n = 0;
  let errors = 0;
  const end = Date.now() + durationMs;
  const one = () =>
    new Promise((resolve) => {
      const t0 = now();
      const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) n++;
          else errors++;
          lat.push(now() - t0);
          resolve();
        });
      });
      req.on('error', () => (errors++, resolve()));
      req.end();
    });
  const t0 = now();
  await Promise.all(
    Array.from({ length: conns }, async () => {
      while (Date.now() < end) await one();
    }),
  );
  const s = (now() - t0) / 1000;
  agent.destroy();
  out({ requests: n, errors, seconds: s, rps: n / s, p50ms: pct(lat, 50), p99ms: pct(lat, 99) });
}

async function fanout(wsUrl, token, roomId, sockets, messages) {
  const arrivals = new Map(); // message seq -> { sent, last, count }
  let ready = 0;
  const all = [];
  for (let i = 0; i < sockets; i++) {
    const ws = new WebSocket(`${wsUrl}?token=${token}`);
    all.push(ws);
    ws.on('message', (data) => {
      const f = JSON.parse(data);
      if (f.type === 'subscribed') {
        if (++ready === sockets) process.stdout.write('READY\n');
        return;
      }
      if (f.type !== 'message') return;
      const t = now();
      let a = arrivals.get(f.message.seq);
      if (!a) arrivals.set(f.message.seq, (a = { sent: Number(f.message.text.split(' ')[1]), first: t, last: t, count: 0 }));
      a.count++;
      a.last = t;
      if (a.count === sockets && [...arrivals.values()].filter((x) => x.count === sockets).length === messages) finish();
    });
    ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', roomId })));
    ws.on('error', (e) => out({ error: String(e) }));
    // Open in small batches so the accept queue is not flooded.
    if (i % 100 === 99) await new Promise((r) => setTimeout(r, 20));
  }
  function finish() {
    const xs = [...arrivals.values()];
    const allDelivered = xs.map((a) => a.last - a.sent);
    const span = (Math.max(...xs.map((a) => a.last)) - Math.min(...xs.map((a) => a.sent))) / 1000;
    out({
      sockets,
      messages,
      deliveries: sockets * messages,
      seconds: span,
      deliveriesPerS: (sockets * messages) / span,
      allDeliveredP50ms: pct(allDelivered, 50),
      allDeliveredP99ms: pct(allDelivered, 99),
    });
    for (const ws of all) ws.terminate();
    process.exit(0);
  }
}

async function chat(wsUrl, token, roomIdsCsv, durationMs, warmupMs) {
  const roomIds = roomIdsCsv.split(',');
  const lat = [];
  let replies = 0;
  // Every agent reply of the phase, warm-up included (the server's work per exchange is counted over it).
  let phaseExchanges = 0;
  const closedEarly = [];
  let measuring = false;
  const end = Date.now() + warmupMs + durationMs;
  setTimeout(() => (measuring = true), warmupMs);
  let t0 = 0;
  setTimeout(() => (t0 = now()), warmupMs);
  await Promise.all(
    roomIds.map(
      (roomId, r) =>
        new Promise((resolve) => {
          const ws = new WebSocket(`${wsUrl}?token=${token}`);
          let sentAt = 0;
          let k = 0;
          const send = () => {
            if (Date.now() >= end) return ws.close(), resolve();
            sentAt = now();
            ws.send(JSON.stringify({ type: 'message', roomId, text: `hello ${r}-${k}`, clientMessageId: `b-${r}-${k++}-${process.pid}` }));
          };
          ws.on('message', (data) => {
            const f = JSON.parse(data);
            if (f.type === 'subscribed') return send();
            if (f.type === 'message' && f.message.authorKind === 'agent') {
              phaseExchanges++;
              if (measuring) {
                lat.push(now() - sentAt);
                replies++;
              }
              send();
            }
          });
          ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', roomId })));
          ws.on('error', (e) => (out({ error: String(e) }), resolve()));
          // A socket the server closed before the end (its close code says why) ends this room's loop;
          // without this the phase never settled and the process exited with code 13, printing nothing.
          ws.on('close', (code, reason) => {
            if (Date.now() < end) closedEarly.push({ room: r, code, reason: String(reason) });
            resolve();
          });
        }),
    ),
  );
  const s = (now() - t0) / 1000;
  // The load generator's own CPU (warm-up included) per measured reply: it shares the 2 cores with the server.
  const c = process.cpuUsage();
  out({
    rooms: roomIds.length,
    replies,
    phaseExchanges,
    seconds: s,
    repliesPerS: replies / s,
    p50ms: pct(lat, 50),
    p95ms: pct(lat, 95),
    p99ms: pct(lat, 99),
    loadCpuUsPerReply: replies ? (c.user + c.system) / replies : null,
    ...(closedEarly.length ? { closedEarly } : {}),
  });
  process.exit(0);
}

if (mode === 'http') await httpLoad(args[0], Number(args[1]), Number(args[2]));
else if (mode === 'fanout') await fanout(args[0], args[1], args[2], Number(args[3]), Number(args[4]));
else if (mode === 'chat') await chat(args[0], args[1], args[2], Number(args[3]), Number(args[4]));
else throw new Error(`unknown mode ${mode}`);

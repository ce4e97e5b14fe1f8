import { parseLimit, parseSeq } from '../../app/commands/messages.ts';
import { badRequest } from '../../app/errors.ts';
import type { AnyRecordedEvent } from '../../events/envelope.ts';
import type { AppRouter, Handler } from '../call.ts';
import { actorsAsOf, parseAsOf } from '../../time-travel/reads.ts';

/** Operators see events as stored, except that sealed password hashes are not handed out at all. */
export function eventOut(e: AnyRecordedEvent) {
  const data = e.type === 'account.registered' || e.type === 'account.password_changed' ? { ...e.data, passwordHash: 'enc:v1:(redacted)' } : e.data;
  return { seq: e.seq, id: e.id, stream: e.stream, version: e.version, type: e.type, data, meta: e.meta };
}

/** Cheap and never rate-limited (RouteOptions.unlimited): what a probe needs to see the server is up. */
const health: Handler = async ({ server }) => {
  const seq = await server.chronicle.store.head();
  // In a cluster: which node answered, how far its read models are behind the log, what it owns.
  const cluster = server.chronicle.cluster?.health(seq);
  return {
    status: 200,
    body: { status: 'ok', seq, uptimeS: Math.floor((Date.now() - server.chronicle.startedAt) / 1000), ...(cluster ? { node: cluster } : {}) },
  };
};

export function operatorRoutes(router: AppRouter): void {
  router
    .add('GET', '/api/v1/health', { access: 'public', unlimited: true }, health)
    // The conventional path for load balancers and probes, the same answer.
    .add('GET', '/health', { access: 'public', unlimited: true }, health)
    .add('GET', '/api/v1/events', { access: 'operator' }, async ({ server, info }) => {
      const after = parseSeq(info.query.get('after') ?? undefined, 'after') ?? 0;
      const limit = parseLimit(info.query.get('limit') ?? undefined, 100, 1000);
      const stream = info.query.get('stream') ?? undefined;
      if (stream !== undefined && (stream.length === 0 || stream.length > 200)) throw badRequest('stream must be 1 to 200 characters');
      // Extension beyond API.md: `type=a,b` filters by event type (the web client's trace view uses it).
      const typeParam = info.query.get('type') ?? undefined;
      const types =
        typeParam === undefined
          ? undefined
          : typeParam
              .split(',')
              .map((x) => x.trim())
              .filter(Boolean);
      if (types && (types.length === 0 || types.length > 50 || types.some((x) => x.length > 100)))
        throw badRequest('type must be a comma-separated list of event types');
      const events = await server.chronicle.store.readAll({ afterSeq: after, limit, stream, types });
      return { status: 200, body: { events: events.map(eventOut) } };
    })
    .add('GET', '/api/v1/actors', { access: 'operator' }, async ({ server, info }) => {
      const asOf = await parseAsOf(server.chronicle, info.query.get('asOf'));
      if (asOf !== undefined) return { status: 200, body: { actors: await actorsAsOf(server.chronicle, asOf), asOf } };
      return { status: 200, body: { actors: server.chronicle.actors.graph() } };
    })
    .add('GET', '/api/v1/metrics', { access: 'operator', scraper: true }, async ({ server }) => {
      const c = server.chronicle;
      const head = await c.store.head();
      return {
        status: 200,
        headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
        text: server.metrics.render({
          openSockets: server.openSockets(),
          projectionLag: Math.max(0, head - c.readModel.checkpoint()),
          logHead: head,
          uptimeS: Math.floor((Date.now() - c.startedAt) / 1000),
        }),
      };
    });
}

import { activeStateIds, isActorKind, machineChart } from '../../actors/machine-chart.ts';
import { notFound } from '../../app/errors.ts';
import type { AppRouter } from '../call.ts';
import { eventOut } from './operator-routes.ts';
import { streams } from '../../domain/streams.ts';

const LAST_EVENTS = 10;

/** The stream an actor's own events are in: its id for agents and rooms (src/domain/streams.ts), the system stream for the system. */
const streamOf = (id: string, kind: string) => (kind === 'system' ? streams.system : kind === 'agent' || kind === 'room' ? id : undefined);

/**
 * GET /api/v1/actors/:id/machine (operator): the actor's statechart from its machine definition,
 * the states it is in now (lit in the web client) and the last events of its stream.
 */
export function actorRoutes(router: AppRouter): void {
  router.add('GET', '/api/v1/actors/:id/machine', { access: 'operator' }, async ({ server, params }) => {
    const c = server.chronicle;
    const node = c.actors.graph().find((n) => n.id === params.id);
    if (!node || !isActorKind(node.kind)) throw notFound('actor');
    const chart = machineChart(node.kind);
    // Services report a flat state name ("running"); the others their XState value.
    const value = node.value ?? node.state;
    const stream = streamOf(node.id, node.kind);
    let lastEvents: ReturnType<typeof eventOut>[] = [];
    if (stream) {
      const version = await c.store.streamVersion(stream);
      lastEvents = (await c.store.readStream(stream, { fromVersion: Math.max(1, version - LAST_EVENTS + 1) })).map(eventOut);
    }
    return {
      status: 200,
      body: {
        actor: { id: node.id, kind: node.kind, name: node.name, state: node.state, value },
        machine: chart,
        active: activeStateIds(chart.id, value),
        lastEvents: lastEvents.reverse(),
      },
    };
  });
}

import { describe, expect, it } from 'vitest';
import { actorOfEvent, flowingEdges, layoutGraph } from '../../web/src/api/actor-graph.ts';
import type { ActorNode, LogEvent } from '../../web/src/api/types.ts';

// The pure part of the web client's actor graph: layout and edges, which event concerns which actor.
const actors: ActorNode[] = [
  { id: 'system', kind: 'system', state: 'running', children: ['room-r', 'agent-a', 'agent-b', 'service-s'] },
  {
    id: 'room-r',
    kind: 'room',
    state: 'active',
    parent: 'system',
    children: [],
    participants: [
      { id: 'u', kind: 'user', name: 'U' },
      { id: 'a', kind: 'agent', name: 'A' },
    ],
  },
  { id: 'agent-a', kind: 'agent', state: 'running', parent: 'system', children: [] },
  { id: 'agent-b', kind: 'agent', state: 'stopped', parent: 'system', children: [] },
  { id: 'service-s', kind: 'service', state: 'running', parent: 'agent-a', children: [] },
];
const posted = (roomId: string, authorId: string, authorKind: string, timestamp: number): LogEvent => ({
  seq: 1,
  id: 'e',
  stream: `room-${roomId}`,
  version: 1,
  type: 'message.posted',
  data: { roomId, authorId, authorKind },
  meta: { timestamp },
});

describe('actor graph layout', () => {
  it('puts system, rooms, agents and services in columns, with supervision, ownership and membership edges', () => {
    const { nodes, edges } = layoutGraph(actors);
    const x = (id: string) => nodes.find((n) => n.node.id === id)!.x;
    expect(x('system')).toBeLessThan(x('room-r'));
    expect(x('room-r')).toBeLessThan(x('agent-a'));
    expect(x('agent-a')).toBe(x('agent-b'));
    expect(x('agent-a')).toBeLessThan(x('service-s'));
    expect(edges).toContainEqual({ from: 'system', to: 'agent-b', kind: 'supervises' });
    expect(edges).toContainEqual({ from: 'agent-a', to: 'service-s', kind: 'owns' });
    // Membership only to agents that are actors (the user is not).
    expect(edges.filter((e) => e.kind === 'member')).toEqual([{ from: 'room-r', to: 'agent-a', kind: 'member' }]);
  });

  it('lights the membership edges a message crossed lately, in either direction', () => {
    expect([...flowingEdges([posted('r', 'u', 'user', 1000)], actors, 2000, 5000)]).toEqual(['room-r|agent-a']);
    expect([...flowingEdges([posted('r', 'a', 'agent', 1000)], actors, 2000, 5000)]).toEqual(['room-r|agent-a']);
    expect(flowingEdges([posted('r', 'a', 'agent', 1000)], actors, 9000, 5000).size).toBe(0);
  });

  it('links an event to the actor it concerns', () => {
    expect(actorOfEvent({ stream: 'room-r', data: {} })).toBe('room-r');
    expect(actorOfEvent({ stream: 'document-d', data: { agentId: 'a' } })).toBe('agent-a');
    expect(actorOfEvent({ stream: 'system', data: {} })).toBe('system');
    expect(actorOfEvent({ stream: 'account-x', data: {} })).toBeUndefined();
  });
});

import type { ActorNode, LogEvent } from './types.ts';

/**
 * The actor graph laid out for drawing: the system on the left, rooms, then agents, then services, one
 * column each; edges for supervision (system → child), membership (room — agent) and live message
 * flow (a membership edge a message crossed lately). Pure, so it is tested without a browser.
 */
export interface PlacedNode {
  node: ActorNode;
  x: number;
  y: number;
}
export interface GraphEdge {
  from: string;
  to: string;
  kind: 'supervises' | 'member' | 'owns';
}
export interface GraphLayout {
  nodes: PlacedNode[];
  edges: GraphEdge[];
  width: number;
  height: number;
}

export const NODE_W = 190;
export const NODE_H = 58;
/** How far an edge that skips a column bows below the row (room for it in the layout's height). */
export const BOW = 64;
const COLUMN: Record<string, number> = { system: 0, room: 1, agent: 2, service: 3 };
const GAP_X = 250;
const GAP_Y = 74;
const PAD = 16;

export function layoutGraph(actors: ActorNode[]): GraphLayout {
  const columns: ActorNode[][] = [[], [], [], []];
  for (const a of actors) columns[COLUMN[a.kind] ?? 3].push(a);
  const nodes: PlacedNode[] = [];
  const tallest = Math.max(1, ...columns.map((c) => c.length));
  const height = PAD * 2 + tallest * GAP_Y + BOW / 2;
  columns.forEach((col, ci) => {
    // Each column centred vertically, so the system sits in the middle of its children.
    const top = PAD + ((tallest - col.length) * GAP_Y) / 2;
    col.forEach((node, i) => nodes.push({ node, x: PAD + ci * GAP_X, y: top + i * GAP_Y }));
  });
  const ids = new Set(actors.map((a) => a.id));
  const edges: GraphEdge[] = [];
  for (const a of actors) {
    if (a.parent && ids.has(a.parent)) edges.push({ from: a.parent, to: a.id, kind: a.parent === 'system' ? 'supervises' : 'owns' });
    for (const p of a.participants ?? []) if (p.kind === 'agent' && ids.has(`agent-${p.id}`)) edges.push({ from: a.id, to: `agent-${p.id}`, kind: 'member' });
  }
  const lastColumn = Math.max(0, ...columns.map((c, i) => (c.length ? i : 0)));
  return { nodes, edges, width: PAD * 2 + lastColumn * GAP_X + NODE_W, height };
}

/** The actor an event concerns: agents and rooms by their stream, documents by their agent, the system's own stream. */
export function actorOfEvent(e: Pick<LogEvent, 'stream' | 'data'>): string | undefined {
  if (e.stream.startsWith('agent-') || e.stream.startsWith('room-') || e.stream === 'system') return e.stream;
  const agentId = e.data?.agentId;
  if (typeof agentId === 'string') return `agent-${agentId}`;
  return undefined;
}

/**
 * Membership edges a message crossed within `windowMs` of `now`: an agent's message flows agent → room,
 * a user's message room → each agent in it. Keys are "<room actor>|<agent actor>".
 */
export function flowingEdges(events: LogEvent[], actors: ActorNode[], now: number, windowMs: number): Set<string> {
  const out = new Set<string>();
  const rooms = new Map(actors.filter((a) => a.kind === 'room').map((r) => [r.id, r]));
  for (const e of events) {
    if (e.type !== 'message.posted' || typeof e.meta.timestamp !== 'number' || now - e.meta.timestamp > windowMs) continue;
    const roomActor = `room-${String(e.data.roomId)}`;
    if (e.data.authorKind === 'agent') out.add(`${roomActor}|agent-${String(e.data.authorId)}`);
    else for (const p of rooms.get(roomActor)?.participants ?? []) if (p.kind === 'agent') out.add(`${roomActor}|agent-${p.id}`);
  }
  return out;
}

/** XState values are strings or nested objects ({running: 'idle'}): shown as running.idle. */
export function stateText(state: unknown): string {
  if (typeof state === 'string') return state;
  if (state && typeof state === 'object') {
    return Object.entries(state as Record<string, unknown>)
      .map(([k, v]) => {
        const inner = stateText(v);
        return inner ? `${k}.${inner}` : k;
      })
      .join(', ');
  }
  return state === undefined || state === null ? '' : String(state);
}

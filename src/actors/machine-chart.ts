import type { AnyStateMachine } from 'xstate';
import { agentMachine } from './machines/agent.machine.ts';
import { roomMachine } from './machines/room.machine.ts';
import { serviceMachine } from './machines/service.machine.ts';
import { systemMachine } from './machines/system.machine.ts';
import type { ActorNode } from './types.ts';

/** A statechart as the web client draws it: the states and transitions of a machine definition. */
export interface ChartState {
  /** Dotted path from the root ("agent.running"). */
  id: string;
  key: string;
  type: string;
  initial?: string;
  transitions: { event: string; targets: string[]; guard?: string }[];
  states: ChartState[];
}

/** The machine each kind of actor runs (the definitions are pure: no effects run to read them). */
const machines: Record<ActorNode['kind'], AnyStateMachine> = { agent: agentMachine, room: roomMachine, service: serviceMachine, system: systemMachine };

interface DefinitionNode {
  key: string;
  id: string;
  type: string;
  initial?: { target?: (string | { id: string })[] };
  on?: Record<string, { target?: (string | { id: string })[]; guard?: unknown }[]>;
  states?: Record<string, DefinitionNode>;
}

const targetId = (t: string | { id: string }) => (typeof t === 'string' ? t : t.id);
const guardName = (g: unknown) =>
  typeof g === 'string' ? g : g && typeof g === 'object' && 'type' in g ? String((g as { type: unknown }).type) : g ? 'guard' : undefined;

function chartOf(node: DefinitionNode): ChartState {
  const transitions = Object.entries(node.on ?? {}).flatMap(([event, list]) =>
    list.map((t) => ({ event, targets: (t.target ?? []).map(targetId), ...(t.guard ? { guard: guardName(t.guard) } : {}) })),
  );
  return {
    id: node.id,
    key: node.key,
    type: node.type,
    ...(node.initial?.target?.length ? { initial: targetId(node.initial.target[0]) } : {}),
    transitions,
    states: Object.values(node.states ?? {}).map(chartOf),
  };
}

export const isActorKind = (kind: string): kind is ActorNode['kind'] => Object.hasOwn(machines, kind);

/** The statechart of the machine an actor of this kind runs, from XState's own definition. */
export function machineChart(kind: ActorNode['kind']): ChartState {
  return chartOf(machines[kind].definition as unknown as DefinitionNode);
}

/** The state ids an XState value is in, root first ("running" → ["agent", "agent.running"]). */
export function activeStateIds(root: string, value: unknown): string[] {
  const out = [root];
  const walk = (prefix: string, v: unknown) => {
    if (typeof v === 'string') out.push(`${prefix}.${v}`);
    else if (v && typeof v === 'object')
      for (const [k, inner] of Object.entries(v as Record<string, unknown>)) {
        out.push(`${prefix}.${k}`);
        walk(`${prefix}.${k}`, inner);
      }
  };
  walk(root, value);
  return out;
}

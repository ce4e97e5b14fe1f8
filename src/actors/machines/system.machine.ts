import { assign, setup } from 'xstate';
import { backoffMs } from '../../shared/backoff.ts';

/**
 * The system actor's machine: its lifecycle and the supervision policy. A child that fails is
 * restarted after an exponential backoff; the failure itself becomes an `actor.failed` event (the
 * provided `reportFailure` / `scheduleRestart` effects). Consecutive failures are counted per child
 * and reset when it recovers.
 */

export const SYSTEM_MACHINE_VERSION = 'system-v1';

export interface SystemContext {
  failures: Record<string, number>;
  baseMs: number;
  maxMs: number;
}

export type SystemEvent =
  | { type: 'START' }
  | { type: 'RESTORED' }
  | { type: 'STOP' }
  | { type: 'STOPPED' }
  | { type: 'CHILD_FAILED'; actorId: string; kind: 'agent' | 'room' | 'service' | 'system'; error: string }
  | { type: 'CHILD_RECOVERED'; actorId: string };

export const systemMachine = setup({
  types: { context: {} as SystemContext, events: {} as SystemEvent, input: {} as { baseMs?: number; maxMs?: number } },
  actions: {
    restore: () => {},
    goLive: () => {},
    shutdown: () => {},
    scheduleRestart: (_, _params: { actorId: string; kind: 'agent' | 'room' | 'service' | 'system'; error: string; restartInMs: number }) => {},
  },
}).createMachine({
  id: 'system',
  context: ({ input }) => ({ failures: {}, baseMs: input.baseMs ?? 100, maxMs: input.maxMs ?? 30_000 }),
  initial: 'idle',
  states: {
    idle: { on: { START: 'restoring', STOP: 'stopped' } },
    restoring: {
      entry: 'restore',
      on: { RESTORED: 'running', STOP: 'stopping' },
    },
    running: {
      entry: 'goLive',
      on: {
        STOP: 'stopping',
        CHILD_FAILED: {
          actions: [
            assign({ failures: ({ context, event }) => ({ ...context.failures, [event.actorId]: (context.failures[event.actorId] ?? 0) + 1 }) }),
            {
              type: 'scheduleRestart',
              params: ({ context, event }) => ({
                actorId: event.actorId,
                kind: event.kind,
                error: event.error,
                restartInMs: backoffMs(context.failures[event.actorId] ?? 1, context.baseMs, context.maxMs),
              }),
            },
          ],
        },
        CHILD_RECOVERED: {
          actions: assign({
            failures: ({ context, event }) => {
              const { [event.actorId]: _gone, ...rest } = context.failures;
              return rest;
            },
          }),
        },
      },
    },
    stopping: { entry: 'shutdown', on: { STOPPED: 'stopped' } },
    stopped: { type: 'final' },
  },
});

import { assign, fromPromise, setup } from 'xstate';
import { backoffMs } from '../../shared/backoff.ts';

/**
 * A plugin service's lifecycle: start (invoked effect) → running; a failure (at start or later)
 * waits a backoff and starts again; stop runs the stop effect. The effects `startService` and
 * `stopService` are provided by the service manager.
 */

export const SERVICE_MACHINE_VERSION = 'service-v1';

export interface ServiceContext {
  serviceType: string;
  failures: number;
  lastError?: string;
  baseMs: number;
  maxMs: number;
  maxFailures: number;
}

export type ServiceEvent = { type: 'START' } | { type: 'STOP' } | { type: 'FAILED'; error: string };

export const serviceMachine = setup({
  types: {
    context: {} as ServiceContext,
    events: {} as ServiceEvent,
    input: {} as { serviceType: string; baseMs?: number; maxMs?: number; maxFailures?: number },
  },
  actors: {
    startService: fromPromise<void, { serviceType: string }>(async () => {}),
    stopService: fromPromise<void, { serviceType: string }>(async () => {}),
  },
  actions: {
    reportFailure: (_, _params: { error: string; restartInMs?: number }) => {},
  },
  delays: {
    backoff: ({ context }) => backoffMs(context.failures, context.baseMs, context.maxMs),
  },
  guards: {
    givenUp: ({ context }) => context.failures >= context.maxFailures,
  },
}).createMachine({
  id: 'service',
  context: ({ input }) => ({
    serviceType: input.serviceType,
    failures: 0,
    baseMs: input.baseMs ?? 200,
    maxMs: input.maxMs ?? 30_000,
    maxFailures: input.maxFailures ?? 10,
  }),
  initial: 'stopped',
  states: {
    stopped: { on: { START: 'starting' } },
    starting: {
      invoke: {
        src: 'startService',
        input: ({ context }) => ({ serviceType: context.serviceType }),
        onDone: { target: 'running' },
        onError: {
          target: 'failed',
          actions: assign({
            failures: ({ context }) => context.failures + 1,
            lastError: ({ event }) => String((event.error as Error)?.message ?? event.error),
          }),
        },
      },
      on: { STOP: 'stopping' },
    },
    running: {
      entry: assign({ failures: 0, lastError: undefined }),
      on: {
        STOP: 'stopping',
        FAILED: { target: 'failed', actions: assign({ failures: ({ context }) => context.failures + 1, lastError: ({ event }) => event.error }) },
      },
    },
    failed: {
      entry: {
        type: 'reportFailure',
        params: ({ context }) => ({
          error: context.lastError ?? 'unknown',
          restartInMs: backoffMs(context.failures, context.baseMs, context.maxMs),
        }),
      },
      after: { backoff: [{ guard: 'givenUp', target: 'gaveUp' }, { target: 'starting' }] },
      on: { STOP: 'stopped' },
    },
    /** Too many failures in a row: stays down until stopped and started again. */
    gaveUp: {
      entry: { type: 'reportFailure', params: ({ context }) => ({ error: `gave up after ${context.failures} failures: ${context.lastError ?? 'unknown'}` }) },
      on: { STOP: 'stopped', START: { target: 'starting', actions: assign({ failures: 0 }) } },
    },
    stopping: {
      invoke: {
        src: 'stopService',
        input: ({ context }) => ({ serviceType: context.serviceType }),
        onDone: 'stopped',
        onError: 'stopped',
      },
    },
  },
});

import { withDeadline } from '../../shared/deadline.ts';

/** Bounds on what plugins do inside a turn: an action, an evaluator never hangs a room (providers: PROVIDER_TIMEOUT_MS in src/plugin-host/eliza-runtime/state.ts). */
export const ACTION_TIMEOUT_MS = 30_000;

export const withTimeout = <T>(p: Promise<T> | T, ms: number, what: string): Promise<T> => withDeadline(p, ms, () => `${what} did not finish within ${ms} ms`);

export { errText } from '../../shared/errors.ts';

import { ModelError } from './provider.ts';

export interface CircuitBreakerOptions {
  /** Consecutive failed attempts that open the circuit (default 5). */
  failureThreshold?: number;
  /** How long the circuit stays open before one probe call is let through (default 30 s). */
  openMs?: number;
  now?: () => number;
}

/** Refusal by an open circuit: not itself a provider failure, and not retried (it would only spin). */
export class CircuitOpenError extends ModelError {
  constructor(provider: string, failures: number, retryAfterMs: number) {
    super('unavailable', `${provider}: circuit open after ${failures} consecutive failures`, provider, false, retryAfterMs);
  }
}

export type CircuitState = 'closed' | 'open' | 'half-open';

/**
 * One per provider. While open, calls fail at once with 'unavailable' instead of queueing behind a
 * dead endpoint; after openMs a single probe decides whether to close again.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private stateValue: CircuitState = 'closed';
  private readonly threshold: number;
  private readonly openMs: number;
  private readonly now: () => number;

  constructor(
    private readonly provider: string,
    options: CircuitBreakerOptions = {},
  ) {
    this.threshold = options.failureThreshold ?? 5;
    this.openMs = options.openMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  get state(): CircuitState {
    if (this.stateValue === 'open' && this.now() - this.openedAt >= this.openMs) this.stateValue = 'half-open';
    return this.stateValue;
  }

  /** Call before an attempt; throws when the attempt must not go out. Returns a ticket for the result. */
  acquire(): void {
    const state = this.state;
    if (state === 'closed') return;
    if (state === 'half-open' && !this.probing) {
      this.probing = true;
      return;
    }
    const wait = Math.max(0, this.openMs - (this.now() - this.openedAt));
    throw new CircuitOpenError(this.provider, this.failures, wait);
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    this.stateValue = 'closed';
  }

  failure(): void {
    this.failures += 1;
    const wasProbe = this.probing;
    this.probing = false;
    if (wasProbe || this.failures >= this.threshold) {
      this.stateValue = 'open';
      this.openedAt = this.now();
    }
  }

  /** An attempt that neither proved nor disproved health (aborted, or the request's own fault). */
  neutral(): void {
    if (this.probing) this.probing = false;
  }
}

/** Failures that say something about the provider's health; a 400 or an abort says nothing. */
export function countsAgainstProvider(err: ModelError): boolean {
  return err.code === 'unavailable' || err.code === 'rate_limited' || err.code === 'timeout';
}

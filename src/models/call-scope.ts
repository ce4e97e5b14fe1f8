import { ModelError } from './provider.ts';
import type { CallOptions } from './provider.ts';
import { toModelError } from './errors.ts';

/**
 * One model call's cancellation scope: the caller's AbortSignal and the call's deadline merged into
 * the single signal handed to the SDK, remembering which of the two fired so errors say why.
 */
export class CallScope {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout | undefined;
  private timedOutFlag = false;
  private readonly onAbort = () => this.controller.abort(this.callerSignal?.reason);

  constructor(
    private readonly provider: string,
    options: CallOptions,
    defaultTimeoutMs: number,
    private readonly callerSignal = options.signal,
  ) {
    this.signal = this.controller.signal;
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    if (callerSignal?.aborted) this.controller.abort(callerSignal.reason);
    else callerSignal?.addEventListener('abort', this.onAbort, { once: true });
    if (Number.isFinite(timeoutMs) && timeoutMs > 0) {
      this.timer = setTimeout(() => {
        this.timedOutFlag = true;
        this.controller.abort(new ModelError('timeout', `${provider}: call timed out after ${timeoutMs} ms`, provider, true));
      }, timeoutMs);
    }
  }

  get aborted(): boolean {
    return this.callerSignal?.aborted === true;
  }

  get timedOut(): boolean {
    return this.timedOutFlag && !this.aborted;
  }

  /** Throws at once when the scope is already cancelled (before any network work). */
  throwIfCancelled(): void {
    if (this.signal.aborted) throw this.error(undefined);
  }

  error(err: unknown): ModelError {
    return toModelError(this.provider, err, { timedOut: this.timedOut, aborted: this.aborted });
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.callerSignal?.removeEventListener('abort', this.onAbort);
  }

  /**
   * Settles with p, or with the scope's error as soon as the scope is cancelled — even when whatever
   * p waits on ignores the signal (a hanging provider cannot hang its caller).
   */
  race<T>(p: Promise<T>): Promise<T> {
    p.catch(() => {});
    if (this.signal.aborted) return Promise.reject(this.error(this.signal.reason));
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(this.error(this.signal.reason));
      this.signal.addEventListener('abort', onAbort, { once: true });
      p.then(
        (v) => (this.signal.removeEventListener('abort', onAbort), resolve(v)),
        (e: unknown) => (this.signal.removeEventListener('abort', onAbort), reject(e)),
      );
    });
  }

  /** Runs fn inside the scope: errors mapped, timer always cleared. */
  async run<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      this.throwIfCancelled();
      return await fn(this.signal);
    } catch (err) {
      throw this.error(err);
    } finally {
      this.dispose();
    }
  }
}

/** Default per-call deadline for remote providers (a long completion can take a while). */
export const DEFAULT_TIMEOUT_MS = 120_000;

import { appendFile } from 'node:fs/promises';
import { SIGNATURE_HEADER, sign } from './signature.ts';

/**
 * Outbound delivery of replies to a configured URL: signed POSTs, retried with exponential back-off
 * on network errors, 5xx and 429; a 4xx other than 429 will not get better and is dead-lettered at
 * once. A delivery that runs out of attempts is written to a dead-letter record (JSON lines) with
 * every attempt's outcome, so an operator can replay it.
 */

export interface DeliveryOptions {
  url: string;
  secret: string;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  timeoutMs?: number;
  /** JSON-lines file of dead letters; omitted: kept in memory only. */
  deadLetterFile?: string;
  fetch?: typeof fetch;
  onDelivered?: (d: Delivered) => void;
  onDeadLetter?: (d: DeadLetter) => void;
}

export interface Delivered {
  id: string;
  attempts: number;
  status: number;
}

export interface DeadLetter {
  id: string;
  url: string;
  payload: unknown;
  attempts: { at: string; outcome: string }[];
  deadAt: string;
}

export class DeliveryQueue {
  readonly deadLetters: DeadLetter[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly o: DeliveryOptions) {}

  /** Starts delivering (does not wait); `idle()` waits for everything started so far. */
  deliver(id: string, payload: unknown): void {
    const p = this.run(id, payload).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  private async run(id: string, payload: unknown): Promise<void> {
    const body = JSON.stringify(payload);
    const max = this.o.maxAttempts ?? 5;
    const attempts: DeadLetter['attempts'] = [];
    for (let n = 1; n <= max; n++) {
      let outcome: string;
      let retry = true;
      try {
        const res = await (this.o.fetch ?? fetch)(this.o.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: sign(this.o.secret, body), 'x-chronicle-delivery': id },
          body,
          signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
        });
        await res.body?.cancel().catch(() => undefined);
        if (res.ok) return this.o.onDelivered?.({ id, attempts: n, status: res.status });
        outcome = `HTTP ${res.status}`;
        retry = res.status >= 500 || res.status === 429;
      } catch (err) {
        outcome = `network: ${(err as Error).message}`;
      }
      attempts.push({ at: new Date().toISOString(), outcome });
      if (!retry || n === max) break;
      await new Promise((r) => setTimeout(r, Math.min((this.o.baseDelayMs ?? 500) * 2 ** (n - 1), this.o.maxDelayMs ?? 60_000)));
    }
    const dead: DeadLetter = { id, url: this.o.url, payload, attempts, deadAt: new Date().toISOString() };
    this.deadLetters.push(dead);
    if (this.o.deadLetterFile) await appendFile(this.o.deadLetterFile, JSON.stringify(dead) + '\n');
    this.o.onDeadLetter?.(dead);
  }
}

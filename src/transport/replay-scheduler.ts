/**
 * One queue for the history replay work of every socket. A replay is a series of small synchronous
 * steps (read a page of a room's messages, send it); the queue runs steps round-robin for at most
 * `sliceMs` per event-loop turn and then yields (setImmediate, after the poll phase), so however many
 * sockets replay at once, HTTP requests and live frames wait at most about one slice. Before it,
 * every socket's replay ran to completion in microtasks: 40 replays of 5,000 messages held /health
 * for seconds.
 */
export class ReplayScheduler {
  private readonly steps: (() => void)[] = [];
  private scheduled = false;
  private stopped = false;

  constructor(
    private readonly sliceMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Runs `step` in a later slice, after the steps already waiting. */
  enqueue(step: () => void): void {
    if (this.stopped) return;
    this.steps.push(step);
    this.schedule();
  }

  get waiting(): number {
    return this.steps.length;
  }

  stop(): void {
    this.stopped = true;
    this.steps.length = 0;
  }

  private schedule(): void {
    if (this.scheduled || this.steps.length === 0) return;
    this.scheduled = true;
    setImmediate(() => this.runSlice());
  }

  private runSlice(): void {
    this.scheduled = false;
    const end = performance.now() + this.sliceMs;
    // At least one step per slice, however slow: the queue always moves.
    do {
      const step = this.steps.shift();
      if (!step) break;
      try {
        step();
      } catch (err) {
        this.onError(err);
      }
    } while (performance.now() < end);
    this.schedule();
  }
}

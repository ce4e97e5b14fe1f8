import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { encodeFrame, FrameReader, FrameTooLargeError } from './frames.ts';
import type { HostToWorker, WorkerToHost } from './protocol.ts';

/**
 * One plugin's child process as the host sees it: frames in and out on fd 3, the last lines of its
 * stderr kept for the failure message, and exactly one `exit` event with a reason a person can read.
 * The child never keeps the server alive on its own: its handles are unref'd while no call waits on it.
 */
export interface ChildLimits {
  maxMessageBytes: number;
  maxOldGenerationSizeMb: number;
  maxMemoryMb: number;
  cpuSeconds: number;
}

const STDERR_TAIL = 2048;
const live = new Set<PluginChild>();
// A server that exits for any reason takes its plugins with it (bwrap also has --die-with-parent).
process.once('exit', () => {
  for (const c of live) c.killNow();
});

export class PluginChild extends EventEmitter {
  private readonly proc: ChildProcess;
  private readonly channel: Socket;
  private stderr = '';
  private exitReason: string | undefined;
  private exited: Promise<void>;

  constructor(
    command: string,
    args: string[],
    private readonly limits: ChildLimits,
  ) {
    super();
    // No environment at all: nothing of the server's (ADMIN_PASSWORD, API keys, JWT_SECRET) crosses.
    this.proc = spawn(command, args, { env: {}, stdio: ['ignore', 'ignore', 'pipe', 'pipe'], detached: false });
    live.add(this);
    this.channel = this.proc.stdio[3] as Socket;
    const reader = new FrameReader(limits.maxMessageBytes, (m) => this.emit('message', m as WorkerToHost));
    this.channel.on('data', (chunk: Buffer) => {
      if (this.exitReason) return;
      try {
        reader.push(chunk);
      } catch (err) {
        this.terminate(err instanceof FrameTooLargeError ? err.message : `sent an unreadable message (${(err as Error).message})`);
      }
    });
    this.channel.on('error', () => undefined);
    this.proc.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString('utf8')).slice(-STDERR_TAIL)));
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        live.delete(this);
        this.finish(this.describeExit(code, signal));
        resolve();
      });
      // A child that never started (no pid) emits no 'exit'.
      this.proc.on('error', (err) => {
        this.finish(`could not start: ${err.message}`);
        if (this.proc.pid === undefined) live.delete(this), resolve();
      });
    });
    this.unref();
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  send(message: HostToWorker): void {
    if (this.exitReason) return;
    let frame: Buffer;
    try {
      frame = encodeFrame(message);
    } catch (err) {
      // An answer holding something that cannot cross (a function, a class instance with one).
      if (message.t !== 'answer') throw err;
      frame = encodeFrame({ t: 'answer', id: message.id, ok: false, error: `the answer could not cross to the plugin: ${(err as Error).message}` });
    }
    this.channel.write(frame);
  }

  /** Keeps the server's event loop alive while a call waits on the child. */
  ref(): void {
    this.proc.ref();
    this.channel.ref();
    (this.proc.stderr as Socket | null)?.ref();
  }

  unref(): void {
    this.proc.unref();
    this.channel.unref();
    (this.proc.stderr as Socket | null)?.unref();
  }

  /** Kills the child (SIGKILL: a plugin gets no say) and resolves once it is gone. */
  async terminate(reason = 'stopped'): Promise<void> {
    this.finish(reason);
    this.killNow();
    // Waiting for the exit is work: a caller awaiting stop() must not see the loop end under it.
    this.proc.ref();
    await this.exited;
  }

  killNow(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }

  private finish(reason: string): void {
    if (this.exitReason) return;
    this.exitReason = reason;
    this.emit('exit', reason);
  }

  private describeExit(code: number | null, signal: NodeJS.Signals | null): string {
    const tail = this.stderr.trim();
    if (/heap out of memory|Reached heap limit/i.test(tail)) return `exhausted its heap limit (${this.limits.maxOldGenerationSizeMb} MB)`;
    // bubblewrap and unshare report a child killed by signal N as exit code 128 + N.
    if (signal === 'SIGXCPU' || code === 128 + 24) return `used up its CPU time budget (${this.limits.cpuSeconds} s)`;
    if (code === 128 + 9) return `was killed by the system (its CPU budget of ${this.limits.cpuSeconds} s, or memory)`;
    const last = tail
      .split('\n')
      .filter((l) => l.trim() && !/^Node\.js v\d/.test(l))
      .slice(-1)[0];
    if (process.env.CHRONICLE_DEBUG_PLUGIN_CHILD) process.stderr.write(tail + '\n');
    if (/^uncaught: /.test(last ?? '')) return `crashed: ${last!.slice('uncaught: '.length)}`;
    return `exited (${signal ?? `code ${code}`})${last ? `: ${last.slice(0, 300)}` : ''}`;
  }
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../cli/run-cli.ts';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 100 ms until it returns a value, for at most `ms`. */
export async function until<T>(check: () => Promise<T | undefined> | T | undefined, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

export interface Node extends RunningServer {
  name: string;
  dataDir: string;
}

/** A cluster of real `chronicle start` processes on one PostgreSQL log, each with its own DATA_DIR. */
export class TestCluster {
  readonly nodes: Node[] = [];
  private readonly root = mkdtempSync(join(tmpdir(), 'chronicle-cluster-'));
  constructor(readonly env: Record<string, string>) {}

  async start(name: string): Promise<Node> {
    const dataDir = join(this.root, name);
    const server = await startServer({ ...this.env, NODE_ID: name, DATA_DIR: dataDir });
    const node = { ...server, name, dataDir };
    this.nodes.push(node);
    return node;
  }

  /** Stops every node still running (SIGTERM); their DATA_DIRs stay until remove(). */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => (n.child.exitCode === null && n.child.signalCode === null ? n.stop('SIGTERM') : undefined)));
  }

  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.root, { recursive: true, force: true });
  }
}

export class Api {
  constructor(
    readonly url: string,
    private readonly token = '',
  ) {}
  static async login(url: string, password: string): Promise<Api> {
    const r = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    const body = (await r.json()) as { accessToken: string };
    if (!body.accessToken) throw new Error(`login failed: ${r.status}`);
    return new Api(url, body.accessToken);
  }
  /** The same caller on another node (one JWT_SECRET: a token from any node works on every node). */
  on(url: string): Api {
    return new Api(url, this.token);
  }
  get bearer(): string {
    return this.token;
  }
  async call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const r = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  }
  async health(): Promise<any> {
    return (await this.call('GET', '/api/v1/health')).body;
  }
}

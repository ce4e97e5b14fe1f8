import { type Command } from '../command.ts';
import { apiOptions, connectApi } from '../api-client.ts';

interface ActorNode {
  id: string;
  kind: string;
  state: unknown;
  name?: string;
  mailbox?: number;
  owner?: string;
  parent?: string;
  children: string[];
}

/** A state as the API gives it: a string, or an XState value object ({running: 'idle'} → running.idle). */
const stateText = (state: unknown): string =>
  typeof state === 'string'
    ? state
    : state && typeof state === 'object'
      ? Object.entries(state)
          .map(([k, v]) => `${k}.${stateText(v)}`)
          .join(',')
      : String(state);

export const inspectCommand: Command = {
  name: 'inspect',
  usage: `Usage: chronicle inspect [--url URL] [--username U] [--password P] [--json]

Asks a running server (default http://HOST:PORT) for its actor graph — the system, agent, room and
service actors by name, the state each is in, an agent's mailbox depth — and prints it as a tree (or JSON with --json).
Needs an operator or admin account (default: admin with ADMIN_PASSWORD).`,
  options: { ...apiOptions, json: { type: 'boolean' } },
  async run({ values }) {
    const api = await connectApi(values);
    const { actors } = (await api.get('/api/v1/actors')) as { actors: ActorNode[] };
    if (values.json) {
      process.stdout.write(JSON.stringify({ actors }, null, 2) + '\n');
      return 0;
    }
    const byId = new Map(actors.map((a) => [a.id, a]));
    const print = (node: ActorNode, depth: number) => {
      // Names first (what an operator knows an agent or room by), the id beside it for the API and logs.
      const name = node.name ? `${node.name} (${node.id})` : node.id;
      const extra = [node.mailbox ? `mailbox ${node.mailbox}` : '', node.owner ? `on ${node.owner}` : ''].filter(Boolean).join(', ');
      process.stdout.write(`${'  '.repeat(depth)}${node.kind} ${name} [${stateText(node.state)}]${extra ? ` ${extra}` : ''}\n`);
      for (const child of node.children) {
        const c = byId.get(child);
        if (c) print(c, depth + 1);
      }
    };
    for (const root of actors.filter((a) => !a.parent || !byId.has(a.parent))) print(root, 0);
    return 0;
  },
};

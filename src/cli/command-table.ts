import type { Command } from './command.ts';

/**
 * The commands `chronicle` knows, with the one-line summary its help prints. Each command's module
 * (and everything it imports: the server, SQLite, model SDKs) loads only when that command runs, so
 * `chronicle --help` or `chronicle verify` does not pay for the whole application.
 */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

export const commands: CommandEntry[] = [
  {
    name: 'start',
    summary: 'run the server (REST, WebSocket, web client) with the agents in DATA_DIR',
    load: async () => (await import('./commands/start.ts')).startCommand,
  },
  {
    name: 'replay',
    summary: 'rebuild every projection from the log (--verify: compare a rebuild with the live tables)',
    load: async () => (await import('./commands/replay.ts')).replayCommand,
  },
  {
    name: 'verify',
    summary: 'check the log’s integrity (hash chain, seq and version continuity)',
    load: async () => (await import('./commands/verify.ts')).verifyCommand,
  },
  {
    name: 'events',
    summary: 'export the log as NDJSON, or import an NDJSON log into an empty data directory',
    load: async () => (await import('./commands/events.ts')).eventsCommand,
  },
  { name: 'inspect', summary: 'show the live actor graph of a running server', load: async () => (await import('./commands/inspect.ts')).inspectCommand },
  {
    name: 'agent',
    summary: 'create an agent from an ElizaOS character file; export or import an agent with its history',
    load: async () => (await import('./commands/agent.ts')).agentCommand,
  },
  {
    name: 'knowledge',
    summary: "add documents (Markdown, text, PDF) to an agent's knowledge on a running server",
    load: async () => (await import('./commands/knowledge.ts')).knowledgeCommand,
  },
  {
    name: 'plugins',
    summary: 'install an npm plugin (add), or grant/revoke what a sandboxed plugin may do for an agent',
    load: async () => (await import('./commands/plugins.ts')).pluginsCommand,
  },
  { name: 'chat', summary: 'talk to an agent from the terminal (over the public API)', load: async () => (await import('./commands/chat.ts')).chatCommand },
  {
    name: 'character',
    summary: 'check ElizaOS character files (v1 or v0.x) or convert one to the v1 form',
    load: async () => (await import('./commands/character.ts')).characterCommand,
  },
  {
    name: 'cluster',
    summary: 'status: the nodes sharing DATABASE_URL, their leases and lags, which node owns which agent',
    load: async () => (await import('./commands/cluster.ts')).clusterCommand,
  },
  {
    name: 'admin',
    summary: 'offline account recovery: reset-password NAME (server stopped)',
    load: async () => (await import('./commands/admin.ts')).adminCommand,
  },
];

import { apiOptions, connectApi } from '../api-client.ts';
import { type Command, UsageError, say } from '../command.ts';
import { pickAgent } from './chat.ts';

/**
 * `chronicle plugins grant|revoke`: what a sandboxed plugin may do for one agent. Each change is a
 * `plugin.permissions_granted/revoked` event on the agent's stream, appended by the running server
 * (POST /api/v1/agents/:id/plugin-permissions), so the log says who allowed what and when.
 */
export const pluginsCommand: Command = {
  name: 'plugins',
  summary: 'grant or revoke what a sandboxed npm plugin may do for an agent (running server)',
  usage: `Usage: chronicle plugins grant|revoke --agent NAME|ID PLUGIN PERMISSION... [--url URL] [--username U] [--password P]

PLUGIN is the plugin's name (as it names itself, e.g. "weather"). PERMISSION is one of
  events:read:<type>  events:append:<type>  net:<host>[:port]  settings:<KEY>  secrets:<KEY>
  models:use  services:register  routes:register        (a trailing * is a wildcard, never for secrets)
A plugin that declares no permissions (every ElizaOS plugin) runs with exactly what is granted here;
one that declares some gets what it declared AND was granted. net:<host> lets the plugin's fetch reach
that host through the server's proxy; its own sockets reach nothing (see README: Plugins).`,
  options: { ...apiOptions, agent: { type: 'string' } },
  allowPositionals: true,
  async run({ values, positionals }) {
    const [sub, plugin, ...permissions] = positionals;
    if (sub !== 'grant' && sub !== 'revoke') throw new UsageError('expected: plugins grant|revoke --agent NAME PLUGIN PERMISSION...');
    if (!plugin) throw new UsageError('name the PLUGIN');
    if (permissions.length === 0) throw new UsageError('name at least one PERMISSION');
    const api = await connectApi(values);
    const { agents } = (await api.get('/api/v1/agents')) as { agents: { id: string; name: string; status: string }[] };
    const agent = pickAgent(agents, typeof values.agent === 'string' ? values.agent : undefined);
    const result = (await api.post(`/api/v1/agents/${agent.id}/plugin-permissions`, { plugin, [sub]: permissions })) as { events: unknown[] };
    say(`${sub === 'grant' ? 'granted' : 'revoked'} ${permissions.join(', ')} ${sub === 'grant' ? 'to' : 'from'} plugin "${plugin}" for agent ${agent.name}`);
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return 0;
  },
};

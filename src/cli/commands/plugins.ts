import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROVIDED_BY_CORE, localPluginDir } from '../../plugin-host/loader.ts';
import { checkPermissionList } from '../../plugin-host/permissions.ts';
import { apiOptions, connectApi } from '../api-client.ts';
import { type Command, UsageError, say } from '../command.ts';
import { pickAgent } from './chat.ts';

/**
 * `chronicle plugins add|grant|revoke`. A grant or revocation is a `plugin.permissions_granted/revoked`
 * event on the agent's stream, appended by the running server (POST /api/v1/agents/:id/plugin-permissions),
 * so the log says who allowed what and when.
 */
export const pluginsCommand: Command = {
  name: 'plugins',
  usage: `Usage: chronicle plugins add NAME [--agent NAME|ID --grant PERM,PERM...] [--url URL] [--username U] [--password P]
       chronicle plugins grant|revoke --agent NAME|ID PLUGIN PERMISSION... [--url URL] [--username U] [--password P]

add: runs \`npm install --save NAME\` in the working directory (NAME: anything npm installs — a package
name, name@version, a tarball or a folder), then, with --agent and --grant, records the operator's
grant of those permissions to the plugin for that agent on a running server. Prints what to put in the
character (its plugins list) and, for an @elizaos/plugin-* Chronicle has a stand-in for, the
PLUGINS_PREFER_INSTALLED setting that makes the installed package run instead.

grant|revoke: PLUGIN is the plugin's name (as it names itself, e.g. "weather"). PERMISSION is one of
  events:read:<type>  events:append:<type>  net:<host>[:port]  settings:<KEY>  secrets:<KEY>
  models:use  services:register  routes:register        (a trailing * is a wildcard, never for secrets)
A plugin that declares no permissions (every ElizaOS plugin) runs with exactly what is granted here;
one that declares some gets what it declared AND was granted. net:<host> lets the plugin's fetch reach
that host through the server's proxy; its own sockets reach nothing (see README: Plugins).`,
  options: { ...apiOptions, agent: { type: 'string' }, grant: { type: 'string' } },
  allowPositionals: true,
  async run({ values, positionals }) {
    const [sub, ...rest] = positionals;
    if (sub === 'add') return runPluginsAdd(rest, values);
    if (sub === 'grant' || sub === 'revoke') return runPluginsGrant(sub, rest, values);
    throw new UsageError('expected: plugins add NAME, or plugins grant|revoke --agent NAME PLUGIN PERMISSION...');
  },
};

/** `chronicle plugins grant|revoke`: the operator's grants, through the running server's API. */
async function runPluginsGrant(sub: 'grant' | 'revoke', positionals: string[], values: Record<string, string | boolean | undefined>): Promise<number> {
  const [plugin, ...permissions] = positionals;
  if (!plugin) throw new UsageError('name the PLUGIN');
  if (permissions.length === 0) throw new UsageError('name at least one PERMISSION');
  const api = await connectApi(values);
  const { agents } = (await api.get('/api/v1/agents')) as { agents: { id: string; name: string; status: string }[] };
  const agent = pickAgent(agents, typeof values.agent === 'string' ? values.agent : undefined);
  const result = (await api.post(`/api/v1/agents/${agent.id}/plugin-permissions`, { plugin, [sub]: permissions })) as { events: unknown[] };
  say(`${sub === 'grant' ? 'granted' : 'revoked'} ${permissions.join(', ')} ${sub === 'grant' ? 'to' : 'from'} plugin "${plugin}" for agent ${agent.name}`);
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  return 0;
}

/** `chronicle plugins add`: npm install, then the grant (if asked) through the running server's API. */
export async function runPluginsAdd(names: string[], values: Record<string, string | boolean | undefined>, cwd = process.cwd()): Promise<number> {
  if (names.length !== 1) throw new UsageError('name exactly one plugin to add');
  const spec = names[0]!;
  const grant =
    typeof values.grant === 'string'
      ? values.grant
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean)
      : [];
  if (grant.length && typeof values.agent !== 'string') throw new UsageError('--grant needs --agent NAME|ID');
  const problems = checkPermissionList(grant);
  if (problems.length) throw new UsageError(problems.join('; '));
  if (!existsSync(join(cwd, 'package.json'))) throw new Error(`no package.json in ${cwd}: run it in your project's folder (npm init -y creates one)`);

  const before = dependencies(cwd);
  // --no-audit/--no-fund: installing a local tarball or folder must not reach the registry for extras.
  const code = await run('npm', ['install', '--save', '--no-audit', '--no-fund', spec], cwd);
  if (code !== 0) throw new Error(`npm install --save ${spec} failed (exit ${code})`);
  const after = dependencies(cwd);
  const name = Object.keys(after).find((n) => before[n] !== after[n]) ?? (after[spec] ? spec : undefined);
  if (!name) throw new Error(`npm installed ${spec}, but package.json names no new or changed dependency for it`);
  say(`installed ${name}@${after[name]}`);

  if (typeof values.agent === 'string' && grant.length) {
    const api = await connectApi(values);
    const { agents } = (await api.get('/api/v1/agents')) as { agents: { id: string; name: string }[] };
    const wanted = values.agent.toLowerCase();
    const agent = agents.find((a) => a.id === values.agent || a.name.toLowerCase() === wanted);
    if (!agent)
      throw new Error(`installed ${name}, but there is no agent "${values.agent}" to grant to (there are: ${agents.map((a) => a.name).join(', ') || 'none'})`);
    await api.post(`/api/v1/agents/${agent.id}/plugin-permissions`, { plugin: name, grant });
    say(`granted ${grant.join(', ')} to ${name} for agent ${agent.name}`);
  }
  say(`next: add "${name}" to the character's plugins`);
  if (name.startsWith('@elizaos/') && (localPluginDir(name) || PROVIDED_BY_CORE.has(name)))
    say(`Chronicle has a stand-in for ${name}: set PLUGINS_PREFER_INSTALLED=${name} (or *) to run the installed package instead`);
  process.stdout.write(
    JSON.stringify({ installed: { name, version: after[name] }, ...(grant.length ? { granted: { agent: values.agent, permissions: grant } } : {}) }) + '\n',
  );
  return 0;
}

function dependencies(cwd: string): Record<string, string> {
  const pkg = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  return { ...(pkg.dependencies ?? {}) };
}

function run(command: string, args: string[], cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    // npm's own output goes to stderr: stdout stays the command's JSON answer.
    const child = spawn(command, args, { cwd, stdio: ['ignore', 2, 2], shell: process.platform === 'win32' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

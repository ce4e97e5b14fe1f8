import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROVIDED_BY_CORE, localPluginDir } from '../../plugin-host/loader.ts';
import { checkPermissionList } from '../../plugin-host/permissions.ts';
import { apiOptions, connectApi } from '../api-client.ts';
import { type Command, UsageError, say } from '../command.ts';

export const pluginsCommand: Command = {
  name: 'plugins',
  summary: 'install an npm plugin (plugins add) and record the operator\'s grant for an agent',
  usage: `Usage: chronicle plugins add NAME [--agent NAME|ID --grant PERM,PERM...] [--url URL] [--username U] [--password P]

Runs \`npm install --save NAME\` in the working directory (NAME: anything npm installs — a package
name, name@version, a tarball or a folder), then, with --agent and --grant, records the operator's
grant of those permissions to the plugin for that agent on a running server (the
plugin.permissions_granted event; grammar in README "Plugin permissions"). Prints what to put in the
character (its plugins list) and, for an @elizaos/plugin-* Chronicle has a stand-in for, the
PLUGINS_PREFER_INSTALLED setting that makes the installed package run instead.`,
  options: { ...apiOptions, agent: { type: 'string' }, grant: { type: 'string' } },
  allowPositionals: true,
  async run({ values, positionals }) {
    const [sub, ...rest] = positionals;
    if (sub === 'add') return runPluginsAdd(rest, values);
    throw new UsageError('expected: plugins add NAME');
  },
};

/** `chronicle plugins add`: npm install, then the grant (if asked) through the running server's API. */
export async function runPluginsAdd(names: string[], values: Record<string, string | boolean | undefined>, cwd = process.cwd()): Promise<number> {
  if (names.length !== 1) throw new UsageError('name exactly one plugin to add');
  const spec = names[0]!;
  const grant = typeof values.grant === 'string' ? values.grant.split(',').map((p) => p.trim()).filter(Boolean) : [];
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
    if (!agent) throw new Error(`installed ${name}, but there is no agent "${values.agent}" to grant to (there are: ${agents.map((a) => a.name).join(', ') || 'none'})`);
    await api.post(`/api/v1/agents/${agent.id}/plugin-permissions`, { plugin: name, grant });
    say(`granted ${grant.join(', ')} to ${name} for agent ${agent.name}`);
  }
  say(`next: add "${name}" to the character's plugins`);
  if (name.startsWith('@elizaos/') && (localPluginDir(name) || PROVIDED_BY_CORE.has(name)))
    say(`Chronicle has a stand-in for ${name}: set PLUGINS_PREFER_INSTALLED=${name} (or *) to run the installed package instead`);
  process.stdout.write(JSON.stringify({ installed: { name, version: after[name] }, ...(grant.length ? { granted: { agent: values.agent, permissions: grant } } : {}) }) + '\n');
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

import type { Character } from '../../characters/schema.ts';
import { loadCharacter } from '../../characters/loader.ts';
import { convertPatch, type ConversionReport } from '../../characters/convert.ts';
import { isPluginInstalled } from '../../plugin-host/installed-plugins.ts';
import { formatProblem } from '../../characters/problems.ts';
import type { AgentView } from '../../projections/read-model.ts';
import { newId } from '../../shared/ids.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import { sameCharacter, sealCharacterSecrets } from '../../characters/secrets.ts';
import { authorOf, catchUp, type Caller, type CommandContext } from './context.ts';
import { streams } from '../../domain/streams.ts';

/**
 * Agent names are unique (409). The check-then-append is serialised in this process so two
 * concurrent creates of one name cannot both pass the check (one writer process per log).
 */
let nameLock: Promise<unknown> = Promise.resolve();
export function serialised<T>(fn: () => Promise<T>): Promise<T> {
  const run = nameLock.then(fn, fn);
  nameLock = run.catch(() => undefined);
  return run;
}

export function assertNameFree(ctx: CommandContext, name: string, exceptId?: string): void {
  const lower = name.toLowerCase();
  const clash = ctx.readModel.listAgents().find((a) => !a.deleted && a.id !== exceptId && a.name.toLowerCase() === lower);
  if (clash) throw conflict(`an agent named "${name}" already exists`);
}

export function liveAgent(ctx: CommandContext, agentId: string): AgentView {
  const agent = ctx.readModel.agentById(agentId);
  if (!agent || agent.deleted) throw notFound('agent');
  return agent;
}

/** What creating or updating an agent from a character did: the agent, how its character was read, whether it changed. */
export interface AgentChange {
  agent: AgentView;
  conversion: ConversionReport;
  changed: boolean;
}

/**
 * A character from a request, of either ElizaOS generation (a v0.x one converted). Every problem is
 * in one 400 — in the message and as `problems: [{path, message, hint}]` — and nothing is appended.
 */
export function characterInput(input: unknown, patchConversion?: ConversionReport): { character: Character; conversion: ConversionReport } {
  const loaded = loadCharacter(input, { isInstalled: isPluginInstalled });
  if (patchConversion) loaded.conversion = patchConversion;
  if (loaded.ok) return loaded;
  const n = loaded.problems.length;
  throw badRequest(`invalid character: ${n} problem${n === 1 ? '' : 's'}: ${loaded.problems.map(formatProblem).join('; ')}`, 'validation_error', {
    problems: loaded.problems,
    ...(loaded.conversion ? { conversion: loaded.conversion } : {}),
  });
}

/** Creates a running agent from an ElizaOS character (secrets sealed). */
export async function createAgent(ctx: CommandContext, caller: Caller, input: unknown): Promise<AgentView> {
  return (await createAgentFromCharacter(ctx, caller, input)).agent;
}

/** createAgent, answering how the character was read (a v0.x one is converted). */
export async function createAgentFromCharacter(ctx: CommandContext, caller: Caller, input: unknown): Promise<AgentChange> {
  const { character, conversion } = characterInput(input);
  return serialised(async () => {
    await catchUp(ctx);
    assertNameFree(ctx, character.name);
    const agentId = newId();
    const sealed = sealCharacterSecrets(character, ctx.secrets);
    const meta = { author: authorOf(caller) };
    const result = await ctx.store.append(
      streams.agent(agentId),
      [
        { id: newId(), type: 'agent.created', data: { agentId, name: character.name, character: sealed }, meta },
        { id: newId(), type: 'agent.started', data: { agentId }, meta },
      ],
      { expectedVersion: 'no_stream' },
    );
    await ctx.projections.waitFor(result.lastSeq);
    return { agent: liveAgent(ctx, agentId), conversion, changed: true };
  });
}

/** Merges a partial character into the agent's (top-level fields replaced), validates, appends agent.updated. */
export async function updateAgent(ctx: CommandContext, caller: Caller, agentId: string, input: unknown): Promise<AgentView> {
  return (await updateAgentFromCharacter(ctx, caller, agentId, input)).agent;
}

/**
 * updateAgent, answering how the character was read. `replace` makes the input the whole character
 * (a character file is the truth: `chronicle start --character`) instead of a patch. An update that
 * changes nothing appends nothing (`changed: false`), so re-applying the same file is free.
 */
export async function updateAgentFromCharacter(
  ctx: CommandContext,
  caller: Caller,
  agentId: string,
  input: unknown,
  options: { replace?: boolean } = {},
): Promise<AgentChange> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw badRequest('invalid character: expected a JSON object');
  return serialised(async () => {
    await catchUp(ctx);
    const agent = liveAgent(ctx, agentId);
    // A v0.x patch is converted against the stored character (see convertPatch); a whole file as it is.
    const converted = options.replace ? undefined : convertPatch(agent.character, input as Record<string, unknown>, { isInstalled: isPluginInstalled });
    const patch = (converted?.patch ?? input) as Partial<Character>;
    // Secrets are never shown, so a client that sends back the settings it read must not erase them.
    const settings =
      !options.replace && patch.settings && typeof patch.settings === 'object' && !('secrets' in patch.settings) && agent.character.settings?.secrets
        ? { ...patch.settings, secrets: agent.character.settings.secrets }
        : patch.settings;
    const secrets = 'secrets' in patch || options.replace ? patch.secrets : agent.character.secrets;
    const { character: merged, conversion } = characterInput(
      options.replace
        ? patch
        : { ...agent.character, ...patch, ...(settings !== undefined ? { settings } : {}), ...(secrets !== undefined ? { secrets } : {}) },
      converted?.report,
    );
    assertNameFree(ctx, merged.name, agentId);
    if (sameCharacter(agent.character, merged, ctx.secrets)) return { agent, conversion, changed: false };
    const version = await ctx.store.streamVersion(streams.agent(agentId));
    const result = await ctx.store.append(
      streams.agent(agentId),
      [
        {
          id: newId(),
          type: 'agent.updated',
          data: { agentId, name: merged.name, character: sealCharacterSecrets(merged, ctx.secrets) },
          meta: { author: authorOf(caller) },
        },
      ],
      { expectedVersion: version },
    );
    await ctx.projections.waitFor(result.lastSeq);
    return { agent: liveAgent(ctx, agentId), conversion, changed: true };
  });
}

export async function deleteAgent(ctx: CommandContext, caller: Caller, agentId: string): Promise<void> {
  await catchUp(ctx);
  liveAgent(ctx, agentId);
  const result = await ctx.store.append(streams.agent(agentId), [
    { id: newId(), type: 'agent.deleted', data: { agentId }, meta: { author: authorOf(caller) } },
  ]);
  await ctx.projections.waitFor(result.lastSeq);
}

/** Starts or stops an agent; a no-op (already in that state) appends nothing. */
export async function setAgentRunning(ctx: CommandContext, caller: Caller, agentId: string, running: boolean): Promise<AgentView> {
  await catchUp(ctx);
  const agent = liveAgent(ctx, agentId);
  if ((agent.status === 'running') === running) return agent;
  const result = await ctx.store.append(streams.agent(agentId), [
    { id: newId(), type: running ? 'agent.started' : 'agent.stopped', data: { agentId }, meta: { author: authorOf(caller) } },
  ]);
  await ctx.projections.waitFor(result.lastSeq);
  return liveAgent(ctx, agentId);
}

/** One line per plugin name of the character: what runs, or why nothing does (see plugin-host/loader.ts). */
export interface AgentPluginLine {
  name: string;
  status: 'loaded' | 'stand-in' | 'provided-by-core' | 'not-installed' | 'failed' | 'dropped';
  detail: string;
}

/**
 * The `plugins` section of an agent's create/update answer (issue 14 item 7): the running actor
 * system's report of the agent's plugins — loaded, replaced by a stand-in, provided by core, not
 * installed, failed, dropped for a name clash — each with why. Empty when the agent names no plugins;
 * absent when this process runs no agents (offline commands).
 */
export async function agentPluginsSection(ctx: { actors?: unknown }, agent: AgentView): Promise<{ plugins?: AgentPluginLine[] }> {
  const actors = ctx.actors as { agentPlugins?(id: string): Promise<{ plugins: AgentPluginLine[] } | undefined> } | undefined;
  if (!actors?.agentPlugins || agent.status !== 'running') return {};
  const built = await actors.agentPlugins(agent.id).catch(() => undefined);
  return built ? { plugins: built.plugins } : {};
}

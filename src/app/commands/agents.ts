import { CharacterSchema, type Character } from '../../characters/schema.ts';
import type { AgentView } from '../../projections/read-model.ts';
import { newId } from '../../shared/ids.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import { sealCharacterSecrets } from '../../characters/secrets.ts';
import { authorOf, catchUp, streams, type Caller, type CommandContext } from './context.ts';
import { parseInput } from './validate.ts';

/**
 * Agent names are unique (409). The check-then-append is serialised in this process so two
 * concurrent creates of one name cannot both pass the check (one writer process per log).
 */
let nameLock: Promise<unknown> = Promise.resolve();
function serialised<T>(fn: () => Promise<T>): Promise<T> {
  const run = nameLock.then(fn, fn);
  nameLock = run.catch(() => undefined);
  return run;
}

function assertNameFree(ctx: CommandContext, name: string, exceptId?: string): void {
  const lower = name.toLowerCase();
  const clash = ctx.readModel.listAgents().find((a) => !a.deleted && a.id !== exceptId && a.name.toLowerCase() === lower);
  if (clash) throw conflict(`an agent named "${name}" already exists`);
}

export function liveAgent(ctx: CommandContext, agentId: string): AgentView {
  const agent = ctx.readModel.agentById(agentId);
  if (!agent || agent.deleted) throw notFound('agent');
  return agent;
}

/** Creates a running agent from an ElizaOS character (secrets sealed). */
export async function createAgent(ctx: CommandContext, caller: Caller, input: unknown): Promise<AgentView> {
  const character = parseInput(CharacterSchema, input, 'character') as Character;
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
    return liveAgent(ctx, agentId);
  });
}

/** Merges a partial character into the agent's (top-level fields replaced), validates, appends agent.updated. */
export async function updateAgent(ctx: CommandContext, caller: Caller, agentId: string, input: unknown): Promise<AgentView> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw badRequest('invalid character: expected a JSON object');
  return serialised(async () => {
    await catchUp(ctx);
    const agent = liveAgent(ctx, agentId);
    const patch = input as Partial<Character>;
    // Secrets are never shown, so a client that sends back the settings it read must not erase them.
    const settings =
      patch.settings && typeof patch.settings === 'object' && !('secrets' in patch.settings) && agent.character.settings?.secrets
        ? { ...patch.settings, secrets: agent.character.settings.secrets }
        : patch.settings;
    const secrets = 'secrets' in patch ? patch.secrets : agent.character.secrets;
    const merged = parseInput(
      CharacterSchema,
      { ...agent.character, ...patch, ...(settings !== undefined ? { settings } : {}), ...(secrets !== undefined ? { secrets } : {}) },
      'character',
    ) as Character;
    assertNameFree(ctx, merged.name, agentId);
    const version = await ctx.store.streamVersion(streams.agent(agentId));
    const result = await ctx.store.append(
      streams.agent(agentId),
      [{ id: newId(), type: 'agent.updated', data: { agentId, name: merged.name, character: sealCharacterSecrets(merged, ctx.secrets) }, meta: { author: authorOf(caller) } }],
      { expectedVersion: version },
    );
    await ctx.projections.waitFor(result.lastSeq);
    return liveAgent(ctx, agentId);
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

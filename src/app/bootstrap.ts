import { ensureAdmin, createAgent, type Caller } from './commands/index.ts';
import { defaultCharacter } from '../characters/index.ts';
import type { Chronicle } from './chronicle.ts';

/**
 * First-start set-up, idempotent on every later start: the `admin` account and, on a log that has never
 * had an agent, the default agent — so `npm install && npm start` gives an agent that answers. An agent
 * the operator deleted stays deleted.
 */
export async function bootstrap(chronicle: Chronicle): Promise<{ generatedAdminPassword?: string; defaultAgentId?: string }> {
  const admin = await ensureAdmin(chronicle, chronicle.settings.adminPassword);
  let defaultAgentId: string | undefined;
  if (chronicle.readModel.listAgents().length === 0) {
    const caller: Caller = { accountId: admin.account.id, role: 'admin' };
    defaultAgentId = (await createAgent(chronicle, caller, defaultCharacter)).id;
    chronicle.logger.info('created the default agent', { agentId: defaultAgentId, name: defaultCharacter.name });
  }
  return { generatedAdminPassword: admin.generatedPassword, defaultAgentId };
}

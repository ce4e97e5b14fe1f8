import { derivedId } from '../../shared/ids.ts';

/**
 * Deterministic ids of everything a turn writes. The same (agent, message) always gives the same ids,
 * so a turn re-run after a crash writes nothing the log already has.
 */
export const turnIds = {
  reply: (agentId: string, messageId: string) => derivedId(agentId, messageId, 'reply'),
  decision: (agentId: string, messageId: string) => derivedId(agentId, messageId, 'decision'),
  trace: (agentId: string, messageId: string) => derivedId(agentId, messageId, 'trace'),
  failure: (agentId: string, messageId: string) => derivedId(agentId, messageId, 'failure'),
  modelCall: (agentId: string, messageId: string, n: number) => derivedId(agentId, messageId, 'model', String(n)),
  action: (agentId: string, messageId: string, n: number) => derivedId(agentId, messageId, 'action', String(n)),
  fact: (agentId: string, messageId: string, text: string) => derivedId(agentId, messageId, 'fact', text),
  roomMode: (agentId: string, messageId: string, n: number) => derivedId(agentId, messageId, 'room-mode', String(n)),
  pluginFailed: (agentId: string, messageId: string, component: string) => derivedId(agentId, messageId, 'plugin-failed', component),
};

import type { NewEvent } from '../../events/envelope.ts';
import { worldIdOf } from '../../plugin-host/eliza-runtime/index.ts';
import type { Action, HandlerCallback, Memory, State } from '../../plugin-host/types.ts';
import { turnIds } from './turn-ids.ts';
import { ACTION_TIMEOUT_MS, errText, withTimeout } from './limits.ts';
import type { ParsedResponse } from './parse-response.ts';
import { emitIfHeard } from './plugin-runtime.ts';
import type { AgentTurn } from './turn-state.ts';

export interface ActResult {
  /** action.completed events, one per action named (unknown and refused ones included). */
  actionEvents: NewEvent[];
  performed: string[];
  /** The first action that threw, as "NAME: error". */
  actionFailure?: string;
  /** The model chose IGNORE (and nothing else). */
  ignored: boolean;
}

/**
 * Runs the actions the model chose, in order (ElizaOS: validate, then handler with the state and the
 * parsed answer). In a one-agent room a user's message always gets an answer: IGNORE with text becomes
 * REPLY. Undefined when the turn was aborted meanwhile.
 */
export async function act(
  turn: AgentTurn,
  parsed: ParsedResponse,
  state: State,
  responses: Memory[],
  callback: HandlerCallback,
): Promise<ActResult | undefined> {
  const { agentId, roomId, messageId, host, runtime, memory, signal } = turn;
  const participantsAgents = turn.input.participants.filter((p) => p.kind === 'agent').length;
  let actionNames = parsed.actions;
  if (actionNames.includes('IGNORE') && actionNames.length > 1) actionNames = actionNames.filter((a) => a !== 'IGNORE');
  if (actionNames.includes('IGNORE') && participantsAgents <= 1 && turn.message.authorKind === 'user' && parsed.text.trim()) actionNames = ['REPLY'];
  const actionEvents: NewEvent[] = [];
  const performed: string[] = [];
  let actionFailure: string | undefined;
  for (const [i, name] of actionNames.entries()) {
    if (signal.aborted) return undefined;
    const actionId = turnIds.action(agentId, messageId, i);
    const action: Action | undefined = host.findAction(name);
    if (!action) {
      actionEvents.push({
        id: actionId,
        type: 'action.completed',
        data: { agentId, roomId, messageId, action: name, success: false, error: 'unknown action' },
      });
      continue;
    }
    try {
      const rt = runtime.forPlugin(host.pluginOf(action));
      if (!(await withTimeout(action.validate(rt, memory, state), ACTION_TIMEOUT_MS, `${action.name}.validate`))) {
        actionEvents.push({
          id: actionId,
          type: 'action.completed',
          data: { agentId, roomId, messageId, action: String(action.name), success: false, error: 'validate returned false' },
        });
        continue;
      }
      const actionEvent = (actionStatus: string) => ({
        agentId,
        roomId,
        messageId,
        world: worldIdOf(agentId),
        source: 'chronicle',
        content: { actions: [action.name], actionStatus, actionId, runId: messageId, source: 'chronicle' },
      });
      await emitIfHeard(host, runtime, 'ACTION_STARTED', () => actionEvent('executing'));
      const result = await withTimeout(
        action.handler(rt, memory, state, { responseText: parsed.text, thought: parsed.thought, actionIndex: i }, callback, responses),
        ACTION_TIMEOUT_MS,
        action.name,
      );
      const r = typeof result === 'object' && result !== null ? result : { success: result !== false };
      await emitIfHeard(host, runtime, 'ACTION_COMPLETED', () => actionEvent(r.success !== false ? 'completed' : 'failed'));
      performed.push(action.name);
      actionEvents.push({
        id: actionId,
        type: 'action.completed',
        data: {
          agentId,
          roomId,
          messageId,
          action: String(action.name),
          success: r.success !== false,
          ...(r.text ? { text: String(r.text).slice(0, 4000) } : {}),
          ...(r.error ? { error: errText(r.error) } : {}),
        },
      });
    } catch (err) {
      actionFailure = `${action.name}: ${errText(err)}`;
      turn.pluginFailures.push({ plugin: host.pluginOf(action), component: `action:${action.name}`, error: errText(err) });
      actionEvents.push({
        id: actionId,
        type: 'action.completed',
        data: { agentId, roomId, messageId, action: String(action.name), success: false, error: errText(err) },
      });
    }
  }
  return { actionEvents, performed, actionFailure, ignored: actionNames.length === 1 && actionNames[0] === 'IGNORE' };
}

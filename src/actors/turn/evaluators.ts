import type { ElizaRuntime, PluginFailure } from '../../plugin-host/eliza-runtime/index.ts';
import type { PluginHost } from '../../plugin-host/host.ts';
import type { Content, Memory, State } from '../../plugin-host/types.ts';
import type { Logger } from '../../shared/logger.ts';
import { ACTION_TIMEOUT_MS, errText, withTimeout } from './limits.ts';

/**
 * ElizaOS evaluators, after the outcome is in the log: those that apply to the message (validate), or,
 * when the agent did not answer, only those that always run. Their failures are plugin.failed.
 */
export async function runEvaluators(
  logger: Logger,
  host: PluginHost,
  runtime: ElizaRuntime,
  memory: Memory,
  state: State | undefined,
  responded: boolean,
  failures: PluginFailure[],
  responses: Memory[] = [],
): Promise<void> {
  // The reply is already in the log when evaluators run: what they pass to the callback is logged only.
  const callback = async (content: Content) =>
    void logger.debug('evaluator callback after the reply (not posted)', { text: String(content?.text ?? '').slice(0, 200) });
  for (const ev of host.evaluators()) {
    if (!responded && !ev.alwaysRun) continue;
    try {
      const rt = runtime.forPlugin(host.pluginOf(ev));
      if (!(await withTimeout(ev.validate(rt, memory, state), ACTION_TIMEOUT_MS, `${ev.name}.validate`))) continue;
      await withTimeout(ev.handler(rt, memory, state, { didRespond: responded }, callback, responses), ACTION_TIMEOUT_MS, `evaluator ${ev.name}`);
    } catch (err) {
      logger.warn('evaluator failed', { evaluator: ev.name, error: errText(err) });
      failures.push({ plugin: host.pluginOf(ev), component: `evaluator:${ev.name}`, error: errText(err) });
    }
  }
}

import type { Subscription } from 'rxjs';
import type { EventStore } from '../../events/store.ts';
import { resolve } from 'node:path';
import { createLogger, type Logger } from '../../shared/logger.ts';
import { PermissionLedger } from '../permissions.ts';
import type { IsolationLimits, PluginFailure } from './isolated-plugin.ts';
import { describeProtections, sandboxTools } from './sandbox.ts';

/**
 * What the loader gives the isolated plugins it starts. One ledger per process: grants name their
 * agent, so systems sharing a process (tests) cannot see each other's grants take effect wrongly.
 */
export const isolation = {
  ledger: new PermissionLedger(),
  limits: {} as Partial<IsolationLimits>,
  /** npm packages the operator marked trusted (PLUGINS_TRUSTED): loaded in process, not sandboxed. */
  trusted: new Set<string>(),
  /** PLUGIN_SANDBOX_ALLOW_WEAK: run isolated plugins even where their network cannot be cut. */
  allowWeak: false,
  /** Folders no plugin may read (the data directory: data.key, jwt.secret, the logs). */
  protectedPaths: [] as string[],
  /**
   * Failures inside a call reach the turn, which records `plugin.failed`; this hears every failure,
   * including a worker that died between calls (logged: there is no turn to record it in).
   */
  onFailure: (f: PluginFailure) => {
    if (!f.reportedToCaller) createLogger('warn').warn('isolated plugin stopped', { ...f });
  },
};

const SANDBOX_PROBE_DELAY_MS = 1000;

/**
 * What the server's settings say about plugins; logs the sandbox this host can build, once per start.
 * The probe (three short child processes) runs a second after the start, off the path to the first
 * request; an isolated plugin that starts sooner runs the same probe itself and waits for it.
 */
export function configureIsolation(options: { trusted: readonly string[]; allowWeak: boolean; dataDir: string }, logger: Logger): void {
  isolation.trusted = new Set(options.trusted);
  isolation.allowWeak = options.allowWeak;
  isolation.protectedPaths = [resolve(options.dataDir)];
  const probe = setTimeout(
    () =>
      void sandboxTools().then((tools) => {
        const weak = !tools.bwrap && !tools.unshare;
        logger[weak ? 'warn' : 'info']('plugin sandbox', {
          ...describeProtections(tools),
          trusted: [...isolation.trusted].join(', ') || 'none',
          ...(weak ? { allowWeak: options.allowWeak } : {}),
        });
      }),
    SANDBOX_PROBE_DELAY_MS,
  );
  probe.unref();
}

/** Folds `plugin.permissions_granted/revoked` from the whole log into the shared ledger, live. */
export function followGrants(store: EventStore): Subscription {
  return isolation.ledger.follow(store);
}

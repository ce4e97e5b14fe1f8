import type { Subscription } from 'rxjs';
import type { EventStore } from '../../events/store.ts';
import { createLogger } from '../../shared/logger.ts';
import { PermissionLedger } from '../permissions.ts';
import type { IsolationLimits, PluginFailure } from './isolated-plugin.ts';

/**
 * What the loader gives the isolated plugins it starts. One ledger per process: grants name their
 * agent, so systems sharing a process (tests) cannot see each other's grants take effect wrongly.
 */
export const isolation = {
  ledger: new PermissionLedger(),
  limits: {} as Partial<IsolationLimits>,
  /**
   * Failures inside a call reach the turn, which records `plugin.failed`; this hears every failure,
   * including a worker that died between calls (logged: there is no turn to record it in).
   */
  onFailure: (f: PluginFailure) => {
    if (!f.reportedToCaller) createLogger('warn').warn('isolated plugin stopped', { ...f });
  },
};

/** Folds `plugin.permissions_granted/revoked` from the whole log into the shared ledger, live. */
export function followGrants(store: EventStore): Subscription {
  return isolation.ledger.follow(store);
}

import type { PluginRuntime } from '../types.ts';

/**
 * Runtime methods a sandboxed plugin reaches by name (the `runtime` request of protocol.ts). The
 * child's facade gets one async function per entry; the host checks the permission an entry names
 * (if any) for the agent of the call, then runs it against the real runtime of that call. This is the
 * one place to extend when the runtime facade grows: add an entry, nothing else in the protocol changes.
 * Arguments and results must be structured-clone data (they cross a process boundary).
 */
export interface BridgedMethod {
  /** The permission needed for these arguments; undefined when the method needs none. */
  permission?: (args: unknown[]) => string | undefined;
  call(runtime: PluginRuntime, args: unknown[]): unknown;
}

/** Dotted names reach nested objects of the runtime (`queries.facts`). */
export const BRIDGED_METHODS: Record<string, BridgedMethod> = {};

/** Looks up and runs a bridged method; unknown names are refused by name. */
export function bridgedMethod(name: string): BridgedMethod {
  const method = Object.prototype.hasOwnProperty.call(BRIDGED_METHODS, name) ? BRIDGED_METHODS[name] : undefined;
  if (!method) throw new Error(`runtime.${name} is not available to sandboxed plugins`);
  return method;
}

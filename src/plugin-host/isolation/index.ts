export { startIsolatedPlugin, stopIsolatedPlugins, DEFAULT_LIMITS } from './isolated-plugin.ts';
export type { IsolatedPlugin, IsolatedPluginOptions, IsolationLimits, IsolatedStatus, PluginFailure } from './isolated-plugin.ts';
export { isolation, followGrants, configureIsolation } from './defaults.ts';

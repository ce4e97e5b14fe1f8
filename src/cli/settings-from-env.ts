import { loadDotEnv, readSettings, type Settings } from '../settings/settings.ts';

/** Settings for a CLI command: ./.env first, then the environment, then `--data-dir` if given. */
export function cliSettings(values: Record<string, string | boolean | undefined>): Settings {
  loadDotEnv();
  const settings = readSettings();
  if (typeof values['data-dir'] === 'string') return { ...settings, dataDir: readSettings({ DATA_DIR: values['data-dir'] }).dataDir };
  return settings;
}

export const dataDirOption = { 'data-dir': { type: 'string' as const } };

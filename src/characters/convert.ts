/**
 * ElizaOS characters come in two generations. v0.x files (the public elizaOS/characters collection and
 * most tutorials) carry `modelProvider`, `clients`, `messageExamples[][].user`, … which 1.x dropped.
 * Chronicle stores 1.x characters only; a v0.x file is converted on the way in and the report says, field
 * by field, what was converted, what was dropped and what deserves a look.
 */
export interface ConversionReport {
  generation: 'v0' | 'v1';
  /** The fields that made the file a v0.x one (empty for v1): the generation is never guessed silently. */
  markers: string[];
  converted: { path: string; to: string; note?: string }[];
  dropped: { path: string; reason: string }[];
  warnings: { path: string; message: string }[];
}

export interface ConvertOptions {
  /**
   * Whether a plugin package can be loaded here (client plugins are only added when it can). The caller
   * asks the plugin host (src/plugin-host/installed-plugins.ts): src/characters imports only src/shared.
   */
  isInstalled: (name: string) => boolean;
}

/** v0.x model providers Chronicle has (settings.MODEL_PROVIDER as src/models/character-models.ts reads it). */
const PROVIDERS: Record<string, string> = {
  openai: 'openai',
  anthropic: 'anthropic',
  openrouter: 'openrouter',
  ollama: 'ollama',
  llama_local: 'local',
  local: 'local',
};

/** Fields only v0.x characters have, and why each is dropped (modelProvider, clients, plugins objects are converted). */
const V0_ONLY_DROPPED: Record<string, string> = {
  imageModelProvider: 'Chronicle has no image generation models',
  imageVisionModelProvider: 'Chronicle has no image vision models',
  modelEndpointOverride: "set the provider's address on the server instead (OPENAI_BASE_URL, ANTHROPIC_BASE_URL, OLLAMA_HOST)",
  clientConfig: 'v0.x client settings; in 1.x a client plugin reads its settings from settings (and settings.secrets)',
  twitterProfile: 'Twitter client settings; Chronicle has no Twitter client',
  twitterSpaces: 'Twitter Spaces settings; Chronicle has no Twitter client',
  people: 'no 1.x field (v0.x listed people the agent knows); put what matters about them in bio or knowledge',
  nft: 'no 1.x field',
  email: 'no 1.x field',
  extends: 'character inheritance is not supported: copy the parent character’s fields into this file',
  postProcessors: 'no 1.x field',
};
const V0_MARKER_FIELDS = ['modelProvider', 'clients', ...Object.keys(V0_ONLY_DROPPED)];

/** The top-level fields of a 1.x character (what CharacterSchema accepts). */
export const V1_FIELDS = [
  'id',
  'name',
  'username',
  'system',
  'bio',
  'lore',
  'messageExamples',
  'postExamples',
  'topics',
  'adjectives',
  'knowledge',
  'plugins',
  'settings',
  'secrets',
  'style',
  'templates',
];

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The field paths that show a character is a v0.x one; empty for a 1.x character. */
export function v0Markers(json: Record<string, unknown>): string[] {
  const markers = V0_MARKER_FIELDS.filter((k) => k in json);
  const examples = Array.isArray(json.messageExamples) ? json.messageExamples : [];
  let user: string | undefined;
  let action: string | undefined;
  examples.forEach((conversation, i) => {
    if (!Array.isArray(conversation)) return;
    conversation.forEach((message, j) => {
      if (!isObject(message)) return;
      if (!user && 'user' in message && !('name' in message)) user = `messageExamples.${i}.${j}.user`;
      if (!action && isObject(message.content) && typeof message.content.action === 'string') action = `messageExamples.${i}.${j}.content.action`;
    });
  });
  if (user) markers.push(user);
  if (action) markers.push(action);
  const pluginObject = Array.isArray(json.plugins) ? json.plugins.findIndex(isObject) : -1;
  if (pluginObject >= 0) markers.push(`plugins.${pluginObject}`);
  return markers;
}

/**
 * Converts a v0.x character to the 1.x form; a 1.x character comes back unchanged (same object). The
 * result is not validated here: loadCharacter validates it, so type problems keep their field paths.
 */
export function convertCharacter(json: Record<string, unknown>, options: ConvertOptions): { character: Record<string, unknown>; report: ConversionReport } {
  const markers = v0Markers(json);
  const report: ConversionReport = { generation: markers.length ? 'v0' : 'v1', markers, converted: [], dropped: [], warnings: [] };
  if (!markers.length) return { character: json, report };

  const { isInstalled } = options;
  const out: Record<string, unknown> = { ...json };
  convertMessageExamples(out, report);
  convertModelProvider(out, report);
  const plugins = convertPlugins(out, report);
  convertClients(out, plugins, isInstalled, report);
  if (Array.isArray(out.plugins) || plugins.length) out.plugins = plugins;

  for (const key of Object.keys(out)) {
    if (key in V0_ONLY_DROPPED) report.dropped.push({ path: key, reason: V0_ONLY_DROPPED[key] });
    else if (!V1_FIELDS.includes(key)) report.dropped.push({ path: key, reason: 'not a character field of ElizaOS v0.x or 1.x' });
    else continue;
    delete out[key];
  }
  return { character: out, report };
}

/** `user` → `name` (the speaker), `content.action` → `content.actions`; counted, not listed one by one. */
function convertMessageExamples(out: Record<string, unknown>, report: ConversionReport): void {
  if (!Array.isArray(out.messageExamples)) return;
  let users = 0;
  let actions = 0;
  out.messageExamples = out.messageExamples.map((conversation, i) =>
    !Array.isArray(conversation)
      ? conversation
      : conversation.map((message, j) => {
          if (!isObject(message)) return message;
          const m: Record<string, unknown> = { ...message };
          if ('user' in m) {
            if ('name' in m) report.dropped.push({ path: `messageExamples.${i}.${j}.user`, reason: 'the message also has "name", which wins' });
            else {
              m.name = m.user;
              users++;
            }
            delete m.user;
          }
          if (isObject(m.content) && 'action' in m.content) {
            const { action, ...content } = m.content;
            if (typeof action === 'string' && action.trim()) {
              const list = Array.isArray(content.actions) ? content.actions : [];
              content.actions = list.includes(action) ? list : [...list, action];
              actions++;
            } else report.dropped.push({ path: `messageExamples.${i}.${j}.content.action`, reason: 'not an action name' });
            m.content = content;
          }
          return m;
        }),
  );
  if (users) report.converted.push({ path: 'messageExamples.*.*.user', to: 'messageExamples.*.*.name', note: `${users} message${users === 1 ? '' : 's'}` });
  if (actions)
    report.converted.push({
      path: 'messageExamples.*.*.content.action',
      to: 'messageExamples.*.*.content.actions',
      note: `${actions} message${actions === 1 ? '' : 's'}`,
    });
}

/** `modelProvider` → settings.MODEL_PROVIDER, in Chronicle's provider names. */
function convertModelProvider(out: Record<string, unknown>, report: ConversionReport): void {
  if (!('modelProvider' in out)) return;
  const value = out.modelProvider;
  delete out.modelProvider;
  if (typeof value !== 'string' || !value.trim()) {
    report.dropped.push({ path: 'modelProvider', reason: 'not a provider name' });
    return;
  }
  const settings = isObject(out.settings) ? out.settings : {};
  const already = settings.MODEL_PROVIDER ?? settings.modelProvider;
  const mapped = PROVIDERS[value.trim().toLowerCase()];
  if (already !== undefined) {
    report.dropped.push({ path: 'modelProvider', reason: `settings.MODEL_PROVIDER is already set (${JSON.stringify(already)}) and wins` });
  } else if (mapped) {
    out.settings = { ...settings, MODEL_PROVIDER: mapped };
    report.converted.push({ path: 'modelProvider', to: 'settings.MODEL_PROVIDER', note: `"${value}" → "${mapped}"` });
  } else {
    report.warnings.push({
      path: 'modelProvider',
      message: `"${value}" is not a provider Chronicle has (${[...new Set(Object.values(PROVIDERS))].join(', ')}); the agent uses the server's MODEL_PROVIDER — set settings.MODEL_PROVIDER to choose one`,
    });
  }
}

/** v0.x `plugins` may hold plugin objects (imported code); only their names can carry over. */
function convertPlugins(out: Record<string, unknown>, report: ConversionReport): string[] {
  if (!('plugins' in out)) return [];
  if (!Array.isArray(out.plugins)) {
    report.dropped.push({ path: 'plugins', reason: 'not an array of plugin names' });
    delete out.plugins;
    return [];
  }
  const names: string[] = [];
  out.plugins.forEach((p, i) => {
    if (typeof p === 'string') names.push(p);
    else if (isObject(p) && typeof p.name === 'string' && p.name.trim()) {
      names.push(p.name);
      report.converted.push({ path: `plugins.${i}`, to: `plugins.${names.length - 1}`, note: `plugin object → its name "${p.name}"` });
    } else report.dropped.push({ path: `plugins.${i}`, reason: 'neither a plugin name nor a plugin object with a name' });
  });
  return names;
}

/** `clients` → the client plugins (`discord` → @elizaos/plugin-discord) that are installed here. */
function convertClients(out: Record<string, unknown>, plugins: string[], isInstalled: (name: string) => boolean, report: ConversionReport): void {
  if (!('clients' in out)) return;
  const clients = out.clients;
  delete out.clients;
  if (!Array.isArray(clients)) {
    report.dropped.push({ path: 'clients', reason: 'not an array of client names' });
    return;
  }
  clients.forEach((client, i) => {
    const path = `clients.${i}`;
    if (typeof client !== 'string' || !/^[a-z0-9][a-z0-9_-]*$/i.test(client.trim())) {
      report.dropped.push({ path, reason: 'not a client name' });
      return;
    }
    const c = client.trim().toLowerCase();
    if (c === 'direct') {
      report.converted.push({ path, to: '(built in)', note: "Chronicle's REST/WebSocket API and web client are the direct client" });
      return;
    }
    const pkg = `@elizaos/plugin-${c}`;
    if (!isInstalled(pkg)) {
      report.dropped.push({ path, reason: `client "${c}" is not available: ${pkg} is not installed (install it, then add "${pkg}" to plugins)` });
      return;
    }
    if (!plugins.includes(pkg)) plugins.push(pkg);
    report.converted.push({ path, to: `plugins.${plugins.indexOf(pkg)}`, note: pkg });
  });
}

/** The number of changes a conversion made (what `chronicle character check` prints). */
export const changeCount = (r: ConversionReport): number => r.converted.length + r.dropped.length;

/**
 * Converts a partial character (a PATCH) against the agent's stored one. Top-level fields replace the
 * stored ones, so the fields a v0.x conversion writes into start from the stored values when the patch
 * does not give them: `modelProvider` replaces only settings.MODEL_PROVIDER, `clients` adds to plugins.
 */
export function convertPatch(
  stored: Record<string, unknown>,
  patch: Record<string, unknown>,
  options: ConvertOptions,
): { patch: Record<string, unknown>; report: ConversionReport } {
  const seeded = { ...patch };
  if ('modelProvider' in patch && !('settings' in patch) && isObject(stored.settings)) {
    const { MODEL_PROVIDER: _a, modelProvider: _b, ...settings } = stored.settings;
    seeded.settings = settings;
  }
  if ('clients' in patch && !('plugins' in patch) && Array.isArray(stored.plugins)) seeded.plugins = stored.plugins;
  const { character, report } = convertCharacter(seeded, options);
  return { patch: character, report };
}

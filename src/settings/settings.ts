import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_DOCUMENT_LIMITS as DOC, type DocumentLimits } from './document-limits.ts';

/** Every setting of API.md, read from the environment (and a `.env` file when present). */
export interface Settings {
  host: string;
  port: number;
  dataDir: string;
  /** DATABASE_URL (postgres://…): the event log lives in PostgreSQL instead of DATA_DIR/events.db. */
  databaseUrl?: string;
  /** This node's name in a cluster (NODE_ID); else generated once into DATA_DIR/node-id. */
  nodeId?: string;
  /** How long a node's lease lasts without a heartbeat (CLUSTER_LEASE_MS): bounds the failover time. */
  clusterLeaseMs: number;
  modelProvider: 'local' | 'openai' | 'anthropic' | 'openrouter' | 'ollama';
  embeddingProvider?: string;
  openaiApiKey?: string;
  openaiBaseUrl?: string;
  openaiModel?: string;
  openaiSmallModel?: string;
  openaiEmbeddingModel?: string;
  anthropicApiKey?: string;
  anthropicBaseUrl?: string;
  anthropicModel?: string;
  openrouterApiKey?: string;
  openrouterBaseUrl?: string;
  ollamaHost?: string;
  ollamaModel?: string;
  ollamaEmbeddingModel?: string;
  localModelPath?: string;
  localModelThreads?: number;
  /** LOCAL_EMBEDDER_IDLE_MS: the local embedding worker ends after this long idle (0: never). */
  localEmbedderIdleMs?: number;
  jwtSecret?: string;
  adminPassword?: string;
  /** The content of a data.key file (DATA_KEY); wins over DATA_DIR/data.key. */
  dataKey?: string;
  /** Serve a log whose hash chain is broken (ALLOW_BROKEN_LOG / --allow-broken-log); logged loudly. */
  allowBrokenLog: boolean;
  openRegistration: boolean;
  accessTokenTtlS: number;
  refreshTokenTtlS: number;
  maxMessageChars: number;
  maxBodyBytes: number;
  /** Body limit of the routes that take a file (knowledge documents), base64 included. */
  maxUploadBytes: number;
  /** Hosts (or origins) knowledge may be fetched from by URL; empty: fetching is off. */
  knowledgeUrlAllow: string[];
  /** Origins whose pages may call the API from a browser (CORS_ORIGINS; `*` = any; empty = same origin only). */
  corsOrigins: string[];
  /** A static bearer token that reads GET /api/v1/metrics (METRICS_TOKEN), for scrapers. */
  metricsToken?: string;
  /** What reading one PDF or HTML page may cost (DOCUMENT_* settings). */
  documents: DocumentLimits;
  rateLimitPerMin: number;
  durability: 'normal' | 'full';
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  inspect: boolean;
  vectorMemoryMb: number;
  /** npm plugins the operator trusts: loaded in the server's process, not sandboxed (PLUGINS_TRUSTED). */
  pluginsTrusted: string[];
  /** Run sandboxed plugins even on a host that cannot cut their network (PLUGIN_SANDBOX_ALLOW_WEAK). */
  pluginSandboxAllowWeak: boolean;
  /** Folder of the operator's trusted in-process plugins (searched before Chronicle's plugins/). */
  pluginsDir?: string;
  /** Installed @elizaos/plugin-* packages to run instead of Chronicle's stand-ins ("*" = all). */
  pluginsPreferInstalled?: string[];
}

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

/** Parses KEY=VALUE lines; existing environment variables win over the file. */
export function loadDotEnv(path = resolve('.env'), env: NodeJS.ProcessEnv = process.env): void {
  if (!existsSync(path)) return;
  for (const line of readFileSync(path, 'utf8').split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)\s*$/.exec(line);
    if (!m || env[m[1]] !== undefined) continue;
    env[m[1]] = m[2].replace(/^(['"])(.*)\1$/, '$2');
  }
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const str = (k: string) => (env[k] !== undefined && env[k] !== '' ? env[k] : undefined);
  const int = (k: string, dflt: number, min: number, max: number) => {
    const raw = str(k);
    if (raw === undefined) return dflt;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new SettingsError(`${k} must be an integer from ${min} to ${max}, got "${raw}"`);
    return n;
  };
  const bool = (k: string, dflt: boolean) => {
    const raw = str(k);
    if (raw === undefined) return dflt;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new SettingsError(`${k} must be true or false, got "${raw}"`);
  };
  const oneOf = <T extends string>(k: string, values: readonly T[], dflt: T): T => {
    const raw = str(k) ?? dflt;
    if (!(values as readonly string[]).includes(raw)) throw new SettingsError(`${k} must be one of ${values.join(', ')}, got "${raw}"`);
    return raw as T;
  };
  return {
    host: str('HOST') ?? '127.0.0.1',
    port: int('PORT', 3000, 0, 65535),
    dataDir: resolve(str('DATA_DIR') ?? './data'),
    databaseUrl: databaseUrl(str('DATABASE_URL')),
    nodeId: str('NODE_ID'),
    clusterLeaseMs: int('CLUSTER_LEASE_MS', 5000, 200, 600_000),
    modelProvider: oneOf('MODEL_PROVIDER', ['local', 'openai', 'anthropic', 'openrouter', 'ollama'], 'local'),
    embeddingProvider: str('EMBEDDING_PROVIDER'),
    openaiApiKey: str('OPENAI_API_KEY'),
    openaiBaseUrl: str('OPENAI_BASE_URL'),
    openaiModel: str('OPENAI_MODEL'),
    openaiSmallModel: str('OPENAI_SMALL_MODEL'),
    openaiEmbeddingModel: str('OPENAI_EMBEDDING_MODEL'),
    anthropicApiKey: str('ANTHROPIC_API_KEY'),
    anthropicBaseUrl: str('ANTHROPIC_BASE_URL'),
    anthropicModel: str('ANTHROPIC_MODEL'),
    openrouterApiKey: str('OPENROUTER_API_KEY'),
    openrouterBaseUrl: str('OPENROUTER_BASE_URL'),
    ollamaHost: str('OLLAMA_HOST'),
    ollamaModel: str('OLLAMA_MODEL'),
    ollamaEmbeddingModel: str('OLLAMA_EMBEDDING_MODEL'),
    localModelPath: str('LOCAL_MODEL_PATH'),
    localModelThreads: str('LOCAL_MODEL_THREADS') ? int('LOCAL_MODEL_THREADS', 1, 1, 256) : undefined,
    localEmbedderIdleMs: str('LOCAL_EMBEDDER_IDLE_MS') ? int('LOCAL_EMBEDDER_IDLE_MS', 60_000, 0, 86_400_000) : undefined,
    jwtSecret: str('JWT_SECRET'),
    adminPassword: str('ADMIN_PASSWORD'),
    dataKey: str('DATA_KEY')?.trim(),
    allowBrokenLog: bool('ALLOW_BROKEN_LOG', false),
    openRegistration: bool('OPEN_REGISTRATION', true),
    accessTokenTtlS: int('ACCESS_TOKEN_TTL', 900, 1, 86_400 * 30),
    refreshTokenTtlS: int('REFRESH_TOKEN_TTL', 30 * 86_400, 60, 86_400 * 365),
    maxMessageChars: int('MAX_MESSAGE_CHARS', 16_000, 1, 1_000_000),
    maxBodyBytes: int('MAX_BODY_BYTES', 1_048_576, 1024, 64 * 1_048_576),
    maxUploadBytes: int('MAX_UPLOAD_BYTES', 32 * 1_048_576, 1024, 512 * 1_048_576),
    knowledgeUrlAllow: (str('KNOWLEDGE_URL_ALLOW') ?? '')
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean),
    corsOrigins: corsOrigins(str('CORS_ORIGINS')),
    metricsToken: metricsToken(str('METRICS_TOKEN')),
    documents: {
      workers: int('DOCUMENT_WORKERS', DOC.workers, 1, 64),
      queue: int('DOCUMENT_QUEUE', DOC.queue, 0, 10_000),
      memoryMb: int('DOCUMENT_MEMORY_MB', DOC.memoryMb, 16, 16_384),
      maxInflatedMb: int('DOCUMENT_MAX_INFLATED_MB', DOC.maxInflatedMb, 1, 16_384),
      timeoutMs: int('DOCUMENT_TIMEOUT_S', DOC.timeoutMs / 1000, 1, 3600) * 1000,
      maxPages: int('DOCUMENT_MAX_PAGES', DOC.maxPages, 1, 1_000_000),
      maxChars: int('DOCUMENT_MAX_CHARS', DOC.maxChars, 1000, 1_000_000_000),
      maxHtmlBytes: int('DOCUMENT_MAX_HTML_MB', DOC.maxHtmlBytes / 1_048_576, 1, 1024) * 1_048_576,
    },
    rateLimitPerMin: int('RATE_LIMIT_PER_MIN', 1200, 0, 10_000_000),
    durability: oneOf('DURABILITY', ['normal', 'full'], 'normal'),
    logLevel: oneOf('LOG_LEVEL', ['debug', 'info', 'warn', 'error', 'silent'], 'info'),
    inspect: bool('INSPECT', false),
    vectorMemoryMb: int('VECTOR_MEMORY_MB', 1024, 0, 1_048_576),
    pluginsTrusted: (str('PLUGINS_TRUSTED') ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
    pluginSandboxAllowWeak: bool('PLUGIN_SANDBOX_ALLOW_WEAK', false),
    pluginsDir: str('PLUGINS_DIR') ? resolve(str('PLUGINS_DIR')!) : undefined,
    pluginsPreferInstalled: (str('PLUGINS_PREFER_INSTALLED') ?? '')
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean),
  };
}

function corsOrigins(raw: string | undefined): string[] {
  const origins = (raw ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  const problems = corsOriginProblems(origins);
  if (problems.length) throw new SettingsError(`CORS_ORIGINS: ${problems.join('; ')}`);
  return origins;
}

function databaseUrl(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!/^postgres(ql)?:\/\/./.test(raw)) throw new SettingsError('DATABASE_URL must be a PostgreSQL URL (postgres://user:password@host:5432/database)');
  return raw;
}

function metricsToken(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  // A scraper's token sits in a config file: short ones are guessable, and it is checked on every scrape.
  if (raw.length < 16) throw new SettingsError('METRICS_TOKEN must be at least 16 characters');
  return raw;
}

/** Checks CORS_ORIGINS entries: exact origins (scheme://host[:port], no path) or `*`. */
function corsOriginProblems(origins: readonly string[]): string[] {
  const problems: string[] = [];
  for (const o of origins) {
    if (o === '*') continue;
    let url: URL | undefined;
    try {
      url = new URL(o);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== o)
      problems.push(`"${o}" is not an origin (write it as the browser sends it: scheme://host[:port], no path or trailing slash)`);
  }
  return problems;
}

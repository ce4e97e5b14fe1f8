/**
 * Messages across the worker boundary. Everything is structured-clone data: the plugin's objects
 * never leave the worker, the runtime never enters it.
 */

export type ComponentKind =
  | 'init'
  | 'action.validate'
  | 'action.handler'
  | 'provider.get'
  | 'evaluator.validate'
  | 'evaluator.handler'
  | 'event'
  | 'model'
  | 'service.start'
  | 'service.stop'
  /** A route of the manifest: args [request data], answers a RouteAnswer. */
  | 'route'
  /** A component the plugin registered from inside (registerEvent/Action/Provider/Evaluator): index = its id, key = the method. */
  | 'dynamic';

/** What the worker tells the host about the plugin it loaded (functions replaced by indexes). */
export interface Manifest {
  name: string;
  version?: string;
  description: string;
  config?: Record<string, string | number | boolean | null | undefined>;
  priority?: number;
  /** Undefined when the plugin declares none (it then runs with what the operator grants). */
  permissions?: string[];
  dependencies?: string[];
  hasInit: boolean;
  actions: { name: string; similes?: string[]; description: string; examples?: unknown[][] }[];
  providers: { name: string; description?: string; dynamic?: boolean; position?: number; private?: boolean }[];
  evaluators: { name: string; description: string; similes?: string[]; alwaysRun?: boolean }[];
  services: { serviceType: string; dependencies?: string[] }[];
  models: string[];
  /** Event name → number of handlers. */
  events: Record<string, number>;
  /** plugin.routes, described (uploads: the handler's code hands the request to multer or reads req.files). */
  routes?: { type: string; path: string; name?: string; public?: boolean; isMultipart?: boolean; uploads: boolean; hasHandler: boolean }[];
}

/** The request of a plugin route as data (what src/transport/routes/plugin-routes.ts builds, minus functions). */
export interface RouteRequest {
  method: string;
  path: string;
  url: string;
  originalUrl: string;
  params: Record<string, string>;
  query: Record<string, string | string[]>;
  body: unknown;
  headers: Record<string, string>;
  caller?: { accountId: string; role: string };
}

/** How a route handler in the child answered: the host replays it on the real response. */
export type RouteAnswer = { status: number; headers: Record<string, string>; kind: 'json' | 'text' | 'bytes'; body: unknown } | { unanswered: true };

/** The per-call context the worker builds its runtime facade from. */
export interface CallContext {
  agentId: string;
  /** The character without its secrets. */
  character: unknown;
  /** Only the settings and secrets this call may read. */
  settings: Record<string, string | number | boolean | null | undefined>;
  /** Names (not values) of the agent's secrets, so a refusal names the right permission. */
  secretKeys: string[];
  /** declared ∩ granted, so the worker can refuse early with the same message the host would give. */
  permissions: string[];
  declared: string[] | undefined;
  /** Names of the runtime-bridge.ts methods, so the child's facade offers each one. */
  bridged: string[];
  /** What ElizaOS offers synchronously, as of this call (the child cannot wait for the host there). */
  snapshot: RuntimeSnapshot;
}

export interface RuntimeSnapshot {
  conversationLength: number;
  /** Model types a plugin registered a handler for (what `getModel(type)` finds in process). */
  models: string[];
  plugins: { name: string; description?: string }[];
  actions: { name: string; description?: string; similes?: string[] }[];
  providers: { name: string; description?: string; dynamic?: boolean; position?: number; private?: boolean }[];
  evaluators: { name: string; description?: string; alwaysRun?: boolean }[];
}

/** A component registered from inside the sandbox, described for the host's proxy. */
export type DynamicComponent =
  | { kind: 'event'; id: number; event: string }
  | { kind: 'action'; id: number; name: string; description: string; similes?: string[] }
  | { kind: 'provider'; id: number; name: string; description?: string; dynamic?: boolean; position?: number; private?: boolean }
  | { kind: 'evaluator'; id: number; name: string; description: string; similes?: string[]; alwaysRun?: boolean };

export type HostToWorker =
  | { t: 'call'; id: number; kind: ComponentKind; index: number; key?: string; args: unknown[]; ctx: CallContext }
  | { t: 'answer'; id: number; ok: true; value: unknown }
  | { t: 'answer'; id: number; ok: false; error: string };

export type WorkerRequest =
  | { op: 'useModel'; type: string; params: Record<string, unknown> }
  | { op: 'query'; name: 'recentMessages' | 'knowledge' | 'facts'; args: unknown[] }
  | { op: 'fetch'; url: string; init: { method?: string; headers?: Record<string, string>; body?: string } }
  | { op: 'callback'; content: Record<string, unknown> }
  /** Any runtime method of runtime-bridge.ts, by name: the generic way to grow the facade. */
  | { op: 'runtime'; method: string; args: unknown[] }
  /** registerEvent/Action/Provider/Evaluator from inside: the host registers a proxy for this agent. */
  | { op: 'register'; component: DynamicComponent };

export type WorkerToHost =
  | { t: 'ready'; manifest: Manifest }
  | { t: 'load_failed'; error: string; code?: string }
  | { t: 'result'; id: number; ok: true; value: unknown }
  | { t: 'result'; id: number; ok: false; error: string }
  /** agentId: whose runtime asks (a service's timer works outside any call; the host uses that agent's runtime). */
  | { t: 'request'; id: number; callId: number; agentId?: string; req: WorkerRequest }
  /** runtime.logger, fire and forget (rate-limited and size-capped at the host). */
  | { t: 'log'; agentId?: string; level: 'debug' | 'info' | 'warn' | 'error'; msg: string; fields?: Record<string, unknown> }
  | { t: 'record'; callId: number; effect: Record<string, unknown> };

/** What the host hands the worker when it starts. */
export interface WorkerStart {
  /** A file path (folder plugin's index) or an npm package name. */
  entry: string;
  kind: 'file' | 'package';
}

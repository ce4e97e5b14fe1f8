import type { EventStore } from '../events/store.ts';
import { openProjections, type Projections } from '../projections/index.ts';
import type { ReadModel } from '../projections/read-model.ts';
import { createModelRegistry, type ModelRegistry, type ProviderFactory } from '../models/registry.ts';
import type { ShippedPlugins } from '../plugin-host/loader.ts';
import type { Plugin } from '../plugin-host/types.ts';
import { createActorSystem, type ActorSystem } from '../actors/index.ts';
import { configureIsolation } from '../plugin-host/isolation/defaults.ts';
import { ingestDocument, removeDocument, type IngestInput, type RemoveInput } from '../knowledge/ingest.ts';
import { startMessageEmbedding } from '../knowledge/message-embedder.ts';
import { SecretBox } from '../shared/secrets.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import type { Settings } from '../settings/settings.ts';
import { existsSync, rmSync } from 'node:fs';
import { checkDataKeyOpens, dataKeyOf, dataPaths, ensureDataDir, readOrCreateKey, secureDataFiles } from './data-dir.ts';
import { checkLogAtOpen } from './log-check.ts';
import { eventLogName, openEventLog } from './event-log.ts';
import type { ClusterNode } from '../cluster/index.ts';

/** Everything a running Chronicle is made of; the transport and the CLI work through this. */
export interface Chronicle {
  settings: Settings;
  logger: Logger;
  store: EventStore;
  projections: Projections;
  readModel: ReadModel;
  models: ModelRegistry;
  actors: ActorSystem;
  secrets: SecretBox;
  jwtSecret: string;
  knowledge: {
    ingest(input: IngestInput): Promise<{ documentId: string; chunks: number }>;
    remove(input: RemoveInput): Promise<void>;
  };
  startedAt: number;
  /** With DATABASE_URL and actors: this node's lease and ownership in the cluster (src/cluster). */
  cluster?: ClusterNode;
  close(): Promise<void>;
}

/**
 * What the core is given rather than importing (src/ imports no plugin): Chronicle's bootstrap plugin
 * and the model providers by name. The program entry (bin/main.ts) hands in plugins/built-in.ts's.
 */
export interface BuiltIns {
  bootstrap: Plugin;
  /** plugins/'s folders by name, for characters that name them (see ShippedPlugins). */
  shippedPlugins: ShippedPlugins;
  providers: Record<string, ProviderFactory>;
}

export interface OpenOptions {
  logger?: Logger;
  /** Start the actor system (agents answer). Off for offline CLI commands that only read or rebuild. */
  actors?: boolean;
  /** Refuse a data key that does not open the log's sealed data (default on; off for `admin reset-password`, the way out). */
  checkDataKey?: boolean;
}

/**
 * Assembles the core: opens the log, brings the projections up to its head, then starts the actors
 * that consume it, with the built-ins it is handed. Shutdown runs in reverse so nothing is appended to
 * a closed log.
 */
export async function openChronicle(settings: Settings, builtIns: BuiltIns, options: OpenOptions = {}): Promise<Chronicle> {
  const logger = options.logger ?? createLogger(settings.logLevel);
  ensureDataDir(settings.dataDir);
  const paths = dataPaths(settings.dataDir);
  const jwtSecret = settings.jwtSecret ?? readOrCreateKey(paths.jwtSecret);
  const keyIsNew = settings.dataKey === undefined && !existsSync(paths.dataKey);
  const keySource = settings.dataKey !== undefined ? 'DATA_KEY' : paths.dataKey;
  const secrets = new SecretBox(dataKeyOf(settings, paths));
  secureDataFiles(paths);

  // SQLite in DATA_DIR, or PostgreSQL when DATABASE_URL is set; nothing else depends on which.
  // A node with actors on a shared PostgreSQL log is a node of the cluster: it takes a lease before it
  // can append for any agent, and the store checks that lease inside every agent's append (fencing).
  // The cluster (and pg with it) is imported only then, so a SQLite start does not load them.
  const cluster =
    settings.databaseUrl && options.actors !== false
      ? await (await import('../cluster/index.ts')).ClusterNode.join({
          databaseUrl: settings.databaseUrl,
          dataDir: settings.dataDir,
          nodeId: settings.nodeId,
          leaseMs: settings.clusterLeaseMs,
          logger: logger.child({ component: 'cluster' }),
        })
      : undefined;
  const store = await openEventLog(settings, paths, { logger: logger.child({ component: 'event-log' }), fence: cluster?.membership.fence }).catch(
    async (err) => {
      await cluster?.stop();
      throw err;
    },
  );
  const closers: (() => Promise<void>)[] = [() => store.close()];
  if (cluster) closers.push(() => cluster.stop());
  const closeAll = async () => {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (err) {
        logger.error('error during shutdown', { error: String(err) });
      }
    }
  };

  try {
    // A broken chain is refused before anything reads or extends it (ALLOW_BROKEN_LOG overrides).
    await checkLogAtOpen(store, paths, { allowBroken: settings.allowBrokenLog, logger, logName: eventLogName(settings, paths) });
    const projections = openProjections({
      path: paths.read,
      store,
      logger: logger.child({ component: 'projections' }),
      vectorMemoryBytes: settings.vectorMemoryMb * 1024 * 1024,
    });
    closers.push(() => projections.close());
    await projections.start();
    if (options.checkDataKey !== false) {
      try {
        checkDataKeyOpens(projections.readModel.credentialsByUsername('admin'), secrets, keySource, settings.dataDir);
      } catch (err) {
        // A key made just now cannot be the right one: leave room for the original to be copied in.
        if (keyIsNew) rmSync(paths.dataKey, { force: true });
        throw err;
      }
    }

    const models = createModelRegistry(settings, { factories: builtIns.providers, logger: logger.child({ component: 'models' }) });
    closers.push(() => models.close());
    const embedder = models.embedder();
    const knowledgeDeps = { store, embedder };

    const actors = createActorSystem({
      store,
      readModel: projections.readModel,
      waitFor: (seq) => projections.waitFor(seq),
      models,
      bootstrap: builtIns.bootstrap,
      shippedPlugins: builtIns.shippedPlugins,
      secrets,
      // The registry's providers already go through the one model-call layer (src/models/resilient.ts):
      // the turn does not wrap them again, so its retry policy applies once.
      settings,
      logger: logger.child({ component: 'actors' }),
      ownership: cluster,
    });
    cluster?.track(
      () => projections.readModel.checkpoint(),
      () => actors.graph().flatMap((n) => (n.kind === 'agent' || n.kind === 'room' ? [n.id] : [])),
    );
    if (options.actors !== false) {
      // Before any agent loads a plugin: which npm plugins are trusted, and what the sandbox can enforce here.
      configureIsolation(
        { trusted: settings.pluginsTrusted, allowWeak: settings.pluginSandboxAllowWeak, dataDir: settings.dataDir },
        logger.child({ component: 'plugins' }),
      );
      // Background message embedding asks as a background caller of the one batching point (it waits
      // 25 ms for company): fewer, larger embeddings requests instead of one per message, off the reply's path.
      const embedding = startMessageEmbedding({ store, embedder, logger: logger.child({ component: 'message-embedding' }) });
      closers.push(() => embedding.stop());
      await actors.start();
      closers.push(() => actors.stop());
    }

    return {
      settings,
      logger,
      store,
      projections,
      readModel: projections.readModel,
      models,
      actors,
      secrets,
      jwtSecret,
      knowledge: {
        ingest: (input) => ingestDocument(knowledgeDeps, input),
        remove: (input) => removeDocument(knowledgeDeps, input),
      },
      startedAt: Date.now(),
      cluster,
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

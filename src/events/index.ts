export type * from './envelope.ts';
export type * from './store.ts';
export * from './errors.ts';
export { SqliteEventStore, type SqliteEventStoreOptions } from './sqlite/sqlite-event-store.ts';
export { SchemaRegistry, type EventTypeDefinition, type Upcaster } from './schema-registry.ts';
export { exportLog, importLog, type RawLogSource, type RawLogTarget, type NdjsonOptions, type Progress } from './ndjson.ts';
export { verifyRows, ChainVerifier, type StoredRow } from './verify.ts';
export { LogFollower, FollowerStoppedError, type FollowerOptions, type FollowedLog } from './follower.ts';

/**
 * A Chronicle actor system in its own process, for the crash test: `crash-child.ts <db> <slow|fast>`.
 * Prints "ready" once live, "delta" at the first streamed delta, "reply <messageId>" for each agent
 * reply it sees in the log, and "idle" when everything is answered (then exits 0 in fast mode).
 */
import { SqliteEventStore } from '../../../src/events/sqlite/sqlite-event-store.ts';
import { createActorSystem } from '../../../src/actors/index.ts';
import { FakeReadModel } from './fake-read-model.ts';
import { FakeModel, fakeModels } from './fake-models.ts';
import { box } from './harness.ts';
import { eventRegistry } from '../../../src/domain/event-registry.ts';
import { bootstrapPlugin } from '../../../plugins/bootstrap/index.ts';

const [path, mode] = process.argv.slice(2);
const store = new SqliteEventStore({ registry: eventRegistry, path });
const readModel = new FakeReadModel(store);
readModel.start();
const model = new FakeModel('fake', (p) => `Answer to "${p.context?.userText}": ${'word '.repeat(mode === 'slow' ? 40 : 3).trim()}`);
model.deltaDelayMs = mode === 'slow' ? 10 : 0;
const system = createActorSystem({
  store,
  readModel,
  waitFor: readModel.waitFor,
  models: fakeModels(model),
  bootstrap: bootstrapPlugin,
  secrets: box,
  settings: { snapshotDelayMs: 5 },
});
let sawDelta = false;
system.ephemeral$.subscribe((e) => {
  if (e.type === 'reply.delta' && !sawDelta) {
    sawDelta = true;
    process.stdout.write('delta\n');
  }
});
const head = await store.head();
store.subscribe(head).subscribe((e) => {
  if (e.type === 'message.posted' && e.data.authorKind === 'agent') process.stdout.write(`reply ${e.data.inReplyTo}\n`);
});
await system.start();
process.stdout.write('ready\n');
await system.idle();
process.stdout.write('idle\n');
if (mode === 'fast') {
  await system.stop();
  readModel.close();
  await store.close();
  process.exit(0);
}

import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openChronicle, type Chronicle } from '../../src/app/chronicle.ts';
import { createAgent } from '../../src/app/commands/index.ts';
import { readSettings } from '../../src/settings/settings.ts';
import { openCharacterSecrets } from '../../src/characters/secrets.ts';
import type { NewEvent } from '../../src/events/envelope.ts';
import { QuantizedVector } from '../../src/events/quantized-vector.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { derivedId, sha256Hex } from '../../src/shared/ids.ts';
import { exportAgent, type ExportOptions } from '../../src/portable/export-agent.ts';
import { importAgent, type ImportOptions } from '../../src/portable/import-agent.ts';
import { runCli } from '../cli/run-cli.ts';
import { builtIns } from '../../plugins/built-in.ts';

/**
 * Portable agents (issue 18 item 5): an agent exported from one Chronicle and imported into a fresh one
 * answers the same retrieval queries, the target's log verifies, and a damaged, truncated or
 * unauthenticated file is refused with nothing appended.
 */

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'chronicle-portable-'));
  dirs.push(d);
  return d;
};
const open = (dataDir: string) => openChronicle(readSettings({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), builtIns, { actors: false, logger: silentLogger });
const admin = { accountId: 'admin-test', role: 'admin' as const };
const HMAC = 'an-operator-chosen-export-key';
const PASS = 'correct horse battery';

/** A deterministic unit vector from a seed: the retrieval answers depend on these, never on a model. */
function vec(seed: number, dims = 8): Float32Array {
  const v = new Float32Array(dims);
  for (let i = 0; i < dims; i++) v[i] = Math.sin(seed * 7.3 + i * 1.7);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

let source: Chronicle;
let sourceDir: string;
let agentId: string;
let roomId: string;
const texts = [
  'The lighthouse keeper logs every ship at dusk.',
  'Saffron is harvested by hand from crocus flowers.',
  'The tide table for the harbour changes each month.',
  'Copper roofs turn green as they weather.',
];

async function toText(opts: Partial<ExportOptions> = {}, who = agentId): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => (text += d));
  await exportAgent(source.store, who, out, { key: { hmacKey: HMAC }, ...opts });
  out.end();
  return text;
}

async function fresh(): Promise<Chronicle> {
  return open(tempDir());
}

const importInto = (c: Chronicle, text: string, opts: Partial<ImportOptions> = {}) =>
  importAgent(c.store, text, { trust: { hmacKey: HMAC }, targetSecrets: c.secrets, agentByName: (n) => c.readModel.agentByName(n), ...opts });

/** The answers of every retrieval the agent makes: knowledge, facts, and its room's messages. */
function answers(c: Chronicle) {
  const out: unknown[] = [];
  for (const [i, q] of ['ships lighthouse', 'saffron flowers', 'harbour tide', 'green copper'].entries()) {
    const query = { text: q, vector: vec(i + 0.5), k: 3 };
    out.push(c.readModel.searchKnowledge(agentId, query).map((h) => [h.chunkId, h.text, h.score.toFixed(6)]));
    out.push(c.readModel.facts(agentId, { query, limit: 3 }).map((f) => [f.id, f.text]));
    out.push(c.readModel.searchMessages(roomId, query).map((m) => [m.message.id, m.message.text, m.score.toFixed(6)]));
  }
  return out;
}

beforeAll(async () => {
  sourceDir = tempDir();
  source = await open(sourceDir);
  const agent = await createAgent(source, admin, { name: 'Ada', bio: ['keeps the harbour log'], secrets: { OPENAI_API_KEY: 'sk-source-secret' } });
  agentId = agent.id;
  // Knowledge with its vectors, as ingest writes them (int8 codes and a scale).
  const documentId = derivedId('doc', agentId);
  await source.store.append(`document-${documentId}`, [
    {
      id: derivedId('ev-doc', documentId),
      type: 'knowledge.document_added',
      data: { documentId, agentId, title: 'Harbour notes', source: 'text', contentHash: sha256Hex(texts.join()), chars: 200, totalChunks: texts.length },
    },
    ...texts.map((text, index) => ({
      id: derivedId('ev-chunk', documentId, String(index)),
      type: 'knowledge.chunk_embedded' as const,
      data: {
        documentId,
        agentId,
        chunkId: derivedId('chunk', documentId, String(index)),
        index,
        text,
        contentHash: sha256Hex(text),
        model: 'fake',
        vector: QuantizedVector.quantize(vec(index)),
      },
    })),
    { id: derivedId('ev-ready', documentId), type: 'knowledge.document_ready', data: { documentId, agentId, chunks: texts.length } },
  ]);
  // A room with messages and their embeddings, and facts the agent learned there.
  roomId = derivedId('room', agentId);
  const messages = texts.map((text, i) => ({ messageId: derivedId('msg', String(i)), text: `Did you know? ${text}` }));
  await source.store.append(`room-${roomId}`, [
    { id: derivedId('ev-room'), type: 'room.created', data: { roomId, name: 'harbour', createdBy: admin.accountId } },
    { id: derivedId('ev-join'), type: 'room.participant_joined', data: { roomId, participantId: agentId, kind: 'agent', name: 'Ada' } },
    ...messages.flatMap((m, i) => [
      {
        id: derivedId('ev-msg', m.messageId),
        type: 'message.posted',
        data: { messageId: m.messageId, roomId, authorId: admin.accountId, authorKind: 'user', text: m.text },
      } as NewEvent,
      {
        id: derivedId('ev-emb', m.messageId),
        type: 'message.embedded',
        data: { messageId: m.messageId, roomId, model: 'fake', vector: vec(i + 0.25) },
      } as NewEvent,
    ]),
  ]);
  await source.store.append(
    `agent-${agentId}`,
    texts.map((text, i) => ({
      id: derivedId('ev-fact', String(i)),
      type: 'agent.fact_recorded' as const,
      data: {
        agentId,
        roomId,
        factId: derivedId('fact', String(i)),
        text: `Ada learned: ${text}`,
        sourceMessageIds: [messages[i].messageId],
        vector: vec(i + 0.75),
      },
    })),
  );
  await source.projections.waitFor(await source.store.head());
}, 60_000);

afterAll(async () => {
  await source?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('agent export → import', () => {
  it('a fresh server answers the same retrieval queries, verifies, and holds the secrets re-sealed with its own key', async () => {
    const text = await toText({ withRooms: true, passphrase: PASS, sourceSecrets: source.secrets });
    expect(text).not.toContain('sk-source-secret');
    // Vectors travel as the log holds them: int8 knowledge vectors as int8, the others as float32.
    expect(text).toContain('$i8');
    expect(text).toContain('$f32');
    const target = await fresh();
    try {
      const report = await importInto(target, text, { passphrase: PASS });
      expect(report).toMatchObject({ agentId, name: 'Ada', appended: report.events });
      await target.projections.waitFor(await target.store.head());
      const before = answers(source);
      expect(before.flat().length).toBeGreaterThan(0);
      expect(answers(target)).toEqual(before);
      expect((await target.store.verify()).ok).toBe(true);
      const imported = target.readModel.agentById(agentId)!;
      // Sealed with the target's key (not the source's, not the passphrase's), and opens to the original.
      expect(() => source.secrets.open(String(imported.character.secrets!.OPENAI_API_KEY))).toThrow();
      expect(openCharacterSecrets(imported.character, target.secrets).secrets).toEqual({ OPENAI_API_KEY: 'sk-source-secret' });

      // Idempotent: the same file again appends nothing.
      const head = await target.store.head();
      expect((await importInto(target, text, { passphrase: PASS })).appended).toBe(0);
      expect(await target.store.head()).toBe(head);
    } finally {
      await target.close();
    }
  });

  it('without a passphrase the secrets are left out, and no room is carried without --with-rooms', async () => {
    const text = await toText();
    const target = await fresh();
    try {
      await importInto(target, text);
      await target.projections.waitFor(await target.store.head());
      expect(target.readModel.agentById(agentId)!.character.secrets).toBeUndefined();
      expect(target.readModel.roomById(roomId)).toBeUndefined();
      expect(target.readModel.searchKnowledge(agentId, { text: 'saffron', vector: vec(1), k: 1 })[0].text).toBe(texts[1]);
    } finally {
      await target.close();
    }
  });

  it('refuses a tampered byte, a truncation, a wrong key or passphrase, with nothing appended', async () => {
    const text = await toText({ withRooms: true, passphrase: PASS, sourceSecrets: source.secrets });
    const lines = text.trimEnd().split('\n');
    const vectorAt = text.indexOf('$f32') + 10;
    const flip = (s: string, at: number) => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
    const spaced = text.replace('"type":', '"type": ');
    const target = await fresh();
    try {
      const head = await target.store.head();
      const refused: [string, Partial<ImportOptions>, RegExp][] = [
        [flip(text, vectorAt), { passphrase: PASS }, /hash chain broken/],
        [spaced, { passphrase: PASS }, /canonical/],
        [lines.slice(0, -1).join('\n') + '\n', { passphrase: PASS }, /truncated/],
        [text.slice(0, Math.floor(text.length / 2)), { passphrase: PASS }, /not JSON|truncated/],
        [lines.filter((_, i) => i !== 3).join('\n') + '\n', { passphrase: PASS }, /line number/],
        [text, { passphrase: PASS, trust: { hmacKey: 'another-key-entirely' } }, /HMAC does not match/],
        [text, { passphrase: 'wrong passphrase' }, /passphrase does not open/],
        [text, {}, /give its passphrase/],
      ];
      for (const [file, opts, message] of refused) {
        await expect(importInto(target, file, opts)).rejects.toThrow(message);
        expect(await target.store.head()).toBe(head);
      }
    } finally {
      await target.close();
    }
  });

  it('signs with Ed25519 and refuses another public key', async () => {
    const pair = generateKeyPairSync('ed25519');
    const other = generateKeyPairSync('ed25519');
    const pem = (k: typeof pair.privateKey) => k.export({ type: k.type === 'private' ? 'pkcs8' : 'spki', format: 'pem' }).toString();
    const text = await toText({ key: { privateKeyPem: pem(pair.privateKey) } });
    const target = await fresh();
    try {
      await expect(importInto(target, text, { trust: { publicKeyPem: pem(other.publicKey) } })).rejects.toThrow(/signature does not match/);
      expect(await target.store.head()).toBe(0);
      expect((await importInto(target, text, { trust: { publicKeyPem: pem(pair.publicKey) } })).appended).toBeGreaterThan(0);
    } finally {
      await target.close();
    }
  });

  it('back into its own server: kept ids add nothing; --remap makes a second agent with new ids, no collision', async () => {
    const text = await toText({ withRooms: true });
    const head = await source.store.head();
    expect((await importInto(source, text)).appended).toBe(0);
    expect(await source.store.head()).toBe(head);
    await expect(importInto(source, text, { remap: true })).rejects.toThrow(/named "Ada" already exists/);
    const copy = await importInto(source, text, { remap: true, name: 'Ada copy' });
    expect(copy.agentId).not.toBe(agentId);
    expect(copy.appended).toBe(copy.events);
    await source.projections.waitFor(await source.store.head());
    expect(source.readModel.agentById(copy.agentId)!.name).toBe('Ada copy');
    expect(source.readModel.searchKnowledge(copy.agentId, { text: 'tide', vector: vec(2), k: 1 })[0].text).toBe(texts[2]);
    expect((await source.store.verify()).ok).toBe(true);
    // The remapped import is idempotent too.
    expect((await importInto(source, text, { remap: true, name: 'Ada copy' })).appended).toBe(0);
  });
});

describe('chronicle agent export | import (CLI)', () => {
  it('exports by name from a data directory and imports into another', async () => {
    const dir = tempDir();
    const keyFile = join(dir, 'export.key');
    writeFileSync(keyFile, HMAC);
    const file = join(dir, 'ada.ndjson');
    // The CLI reads the log read-only, beside the open source (as beside a live server).
    const exported = await runCli(['agent', 'export', 'Ada', '--out', file, '--key-file', keyFile, '--data-dir', sourceDir], {});
    expect(exported.stderr).toMatch(/events exported/);
    expect(exported.code).toBe(0);
    const target = tempDir();
    // The key from the environment this time (EXPORT_KEY), as an operator's secret store would give it.
    const imported = await runCli(['agent', 'import', file, '--data-dir', target], { EXPORT_KEY: HMAC });
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ agentId, name: 'Ada' });
    expect(readFileSync(file, 'utf8').split('\n')[0]).toContain('"format":"chronicle.agent-export"');
  }, 60_000);
});

import { describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../src/events/sqlite/sqlite-event-store.ts';
import {
  checkPermissionList,
  covers,
  grantEvent,
  needs,
  PermissionDeniedError,
  PermissionLedger,
  PermissionSet,
  revokeEvent,
} from '../../src/plugin-host/permissions.ts';
import { newId } from '../../src/shared/ids.ts';
import { eventRegistry } from '../../src/domain/event-registry.ts';

describe('permissions', () => {
  it('parses the manifest grammar and names what is wrong', () => {
    expect(
      checkPermissionList([
        'events:read:message.posted',
        'events:append:*',
        'net:api.example.com',
        'net:*.example.com',
        'net:127.0.0.1:8080',
        'settings:GREETING',
        'secrets:OPENAI_API_KEY',
        'models:use',
        'services:register',
      ]),
    ).toEqual([]);
    expect(checkPermissionList(['net:', 'secrets:*', 'root', 3])).toEqual([
      expect.stringContaining('permissions[0]: "net:" is not a permission'),
      expect.stringContaining('permissions[1]: "secrets:*" is not a permission'),
      expect.stringContaining('permissions[2]: "root" is not a permission'),
      'permissions[3]: must be a string',
    ]);
  });

  it('wildcards cover what they should and nothing more; secrets are never wildcarded', () => {
    expect(covers('events:read:*', 'events:read:message.posted')).toBe(true);
    expect(covers('events:read:*', 'events:append:message.posted')).toBe(false);
    expect(covers('net:*.example.com', 'net:api.example.com')).toBe(true);
    expect(covers('net:*.example.com', 'net:evil-example.com')).toBe(false);
    expect(covers('net:*.example.com', 'net:example.com.evil.org')).toBe(false);
    expect(covers('secrets:*', 'secrets:OPENAI_API_KEY')).toBe(false);
    expect(covers('settings:GREET*', 'settings:GREETING')).toBe(true);
  });

  it('allows only what is both declared and granted, and says which one is missing', () => {
    const set = new PermissionSet('p', ['settings:A', 'settings:B'], ['settings:B', 'settings:C'], 'agent-1');
    expect(set.allows('settings:B')).toBe(true);
    expect(set.allows('settings:A')).toBe(false);
    expect(set.allows('settings:C')).toBe(false);
    expect(() => set.require('settings:A')).toThrow(new PermissionDeniedError('p', 'settings:A', 'not_granted', 'agent-1'));
    expect(() => set.require('settings:C')).toThrow('plugin "p" needs permission "settings:C", which its manifest does not declare');
    expect(set.effective()).toEqual(['settings:B']);
    expect(needs.pluginEvent('MESSAGE_RECEIVED')).toBe('events:read:message.posted');
  });

  it('a plugin that declares nothing gets exactly what is granted (issue 14 item 8); an empty declaration gets nothing', () => {
    const undeclared = new PermissionSet('p', undefined, ['settings:*', 'net:api.example.com'], 'agent-1');
    expect(undeclared.allows('settings:GREETING')).toBe(true);
    expect(undeclared.allows('net:api.example.com')).toBe(true);
    expect(undeclared.allows('net:evil.example.com')).toBe(false);
    expect(() => undeclared.require('models:use')).toThrow('needs permission "models:use", which is not granted for agent agent-1');
    expect(undeclared.effective()).toEqual(['settings:*', 'net:api.example.com']);
    const none = new PermissionSet('p', [], ['settings:*'], 'agent-1');
    expect(none.allows('settings:GREETING')).toBe(false);
    expect(none.effective()).toEqual([]);
  });

  it('grants and revocations are events; the ledger folds them from the log per agent and plugin', async () => {
    const store = new SqliteEventStore({ registry: eventRegistry, path: ':memory:' });
    try {
      const a1 = newId();
      const a2 = newId();
      const op = newId();
      await store.append(`agent-${a1}`, [
        grantEvent(a1, 'weather', ['net:api.weather.test', 'settings:CITY'], op),
        revokeEvent(a1, 'weather', ['settings:CITY'], op),
      ]);
      await store.append(`agent-${a2}`, [grantEvent(a2, 'weather', ['settings:CITY'], op)]);
      const ledger = new PermissionLedger();
      const sub = ledger.follow(store);
      for (let i = 0; i < 100 && ledger.granted(a2, 'weather').length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      expect(ledger.granted(a1, 'weather')).toEqual(['net:api.weather.test']);
      expect(ledger.granted(a2, 'weather')).toEqual(['settings:CITY']);
      expect(ledger.granted(a1, 'other')).toEqual([]);
      // Live: a later grant is seen without re-reading the log.
      await store.append(`agent-${a1}`, [grantEvent(a1, 'other', ['models:use'], op)]);
      for (let i = 0; i < 100 && ledger.granted(a1, 'other').length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      expect(ledger.source(a1, 'other')).toEqual(['models:use']);
      sub.unsubscribe();
      const logged = await store.readAll({ types: ['plugin.permissions_granted'] });
      expect(logged.map((e) => (e.meta.author as { id: string }).id)).toEqual([op, op, op]);
    } finally {
      await store.close();
    }
  });

  it('a malformed grant is refused before it reaches the log', () => {
    expect(() => grantEvent('a', 'p', ['everything'], 'op')).toThrow(/"everything" is not a permission/);
  });
});

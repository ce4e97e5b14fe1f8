import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/events/envelope.ts';
import { createHarness, type Harness } from '../actors/support/harness.ts';

/**
 * Issue 14 item 5: a connector (ElizaOS client-plugin shape) posts an outside person's message into
 * a room and gets the agent's reply back — through the log: the message, the room and the outside
 * author are events, and what the connector sends out is the agent's message as the log has it.
 */
const PLUGINS = join(import.meta.dirname, '..', 'fixtures', 'eliza-connector', 'plugins');
type Chat = {
  outbox: { channel: string; text: string; via: string }[];
  userSays(
    user: { id: string; name: string },
    channel: string,
    text: string,
    o?: { withCallback?: boolean; messageId?: string },
  ): Promise<{ didRespond: boolean; roomId: string; messageId: string; responseContent: { text: string } | null }>;
  runtime: { sendMessageToTarget(t: object, c: object): Promise<void> };
};
const chats = () => (globalThis as { __fakeChats?: Record<string, Chat> }).__fakeChats ?? {};
const until = async (what: () => boolean, ms = 5000) => {
  for (const end = Date.now() + ms; !what(); await new Promise((r) => setTimeout(r, 10))) if (Date.now() > end) throw new Error('timed out');
};

let h: Harness;
afterEach(async () => h?.close());

describe('a connector talks to an agent through the log', () => {
  it('an outside message becomes a room, a participant and a message; the reply reaches the send handler from the log', async () => {
    h = await createHarness({ settings: { pluginsDir: PLUGINS } });
    const ada = await h.createAgent('Ada', { plugins: ['fake-chat'] });
    await until(() => !!chats().Ada);
    const chat = chats().Ada;

    const result = await chat.userSays({ id: 'u-42', name: 'Robin' }, 'general', 'hello from outside');
    expect(result.didRespond).toBe(true);
    expect(chat.outbox).toEqual([{ channel: 'general', text: 'You said: hello from outside', via: 'send-handler' }]);

    // Everything is in the log: the room, both participants, the outside message and the reply.
    const room = ((await h.events('room.created')) as RecordedEvent<'room.created'>[]).find((e) => e.data.roomId === result.roomId)!;
    expect(room.data.name).toBe('fakechat: general');
    const joined = ((await h.events('room.participant_joined')) as RecordedEvent<'room.participant_joined'>[]).filter((e) => e.data.roomId === result.roomId);
    expect(joined.map((e) => [e.data.kind, e.data.name])).toEqual([
      ['agent', 'Ada'],
      ['user', 'Robin'],
    ]);
    const posted = ((await h.events('message.posted')) as RecordedEvent<'message.posted'>[]).filter((e) => e.data.roomId === result.roomId);
    expect(posted.map((e) => [e.data.authorKind, e.data.text])).toEqual([
      ['user', 'hello from outside'],
      ['agent', 'You said: hello from outside'],
    ]);
    expect(posted[0].data.authorId).toBe(joined[1].data.participantId);
    expect(posted[1].data.authorId).toBe(ada);
    expect(posted[1].data.inReplyTo).toBe(result.messageId);

    // The same person again is the same participant, in the same room; no second join.
    const again = await chat.userSays({ id: 'u-42', name: 'Robin' }, 'general', 'me again');
    expect(again.roomId).toBe(result.roomId);
    expect(
      ((await h.events('room.participant_joined')) as RecordedEvent<'room.participant_joined'>[]).filter((e) => e.data.roomId === result.roomId),
    ).toHaveLength(2);
    expect(chat.outbox.at(-1)).toEqual({ channel: 'general', text: 'You said: me again', via: 'send-handler' });
  });

  it('a callback given with the message gets the reply instead; a repeated outside id posts nothing new', async () => {
    h = await createHarness({ settings: { pluginsDir: PLUGINS } });
    await h.createAgent('Bo', { plugins: ['fake-chat'] });
    await until(() => !!chats().Bo);
    const chat = chats().Bo;
    const r = await chat.userSays({ id: 'u-7', name: 'Kim' }, 'dm-kim', 'ping', { withCallback: true, messageId: 'outside-1' });
    expect(r.responseContent?.text).toBe('You said: ping');
    expect(chat.outbox).toEqual([{ channel: 'dm-kim', text: 'You said: ping', via: 'callback' }]);
    const before = (await h.events('message.posted')).length;
    // A connector retrying the same outside message: the derived id makes it a duplicate the log refuses.
    const retry = chat.userSays({ id: 'u-7', name: 'Kim' }, 'dm-kim', 'ping', { withCallback: true, messageId: 'outside-1' });
    await h.system.idle();
    expect((await h.events('message.posted')).length).toBe(before);
    void retry; // never answered again (it times out in the bridge); the log is what matters here
  });

  it("the agent's own message to a target (sendMessageToTarget) is appended to the linked room and reaches the send handler", async () => {
    h = await createHarness({ settings: { pluginsDir: PLUGINS } });
    const ada = await h.createAgent('Ada', { plugins: ['fake-chat'] });
    await until(() => !!chats().Ada);
    const chat = chats().Ada;
    await chat.runtime.sendMessageToTarget({ source: 'fakechat', channelId: 'news' }, { text: 'the market opens at nine' });
    await until(() => chat.outbox.length > 0);
    expect(chat.outbox).toEqual([{ channel: 'news', text: 'the market opens at nine', via: 'send-handler' }]);
    const posted = (await h.events('message.posted')) as RecordedEvent<'message.posted'>[];
    expect(posted.map((e) => [e.data.authorId, e.data.text])).toEqual([[ada, 'the market opens at nine']]);
  });
});

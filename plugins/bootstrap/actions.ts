import type { Action, ActionResult, HandlerCallback, Memory, PluginRuntime } from '../../src/plugin-host/types.ts';

/** The reply text the model produced is handed to actions in options.responseText (ElizaOS simple mode). */
const responseText = (options: Record<string, unknown> | undefined) => (typeof options?.responseText === 'string' ? options.responseText : '');

const always = () => true;

export const replyAction: Action = {
  name: 'REPLY',
  similes: ['RESPOND', 'ANSWER', 'GREET', 'REPLY_TO_MESSAGE', 'SEND_REPLY'],
  description: 'Replies to the current conversation with the text you wrote. Use this to answer.',
  validate: always,
  async handler(_runtime, _message, _state, options, callback): Promise<ActionResult> {
    const text = responseText(options);
    if (!text.trim()) return { success: false, error: 'the model wrote no reply text' };
    await callback?.({ text, actions: ['REPLY'] });
    return { success: true, text };
  },
  examples: [
    [
      { name: '{{name1}}', content: { text: 'Hello there!' } },
      { name: '{{name2}}', content: { text: 'Hi! How can I help?', actions: ['REPLY'] } },
    ],
  ],
};

export const ignoreAction: Action = {
  name: 'IGNORE',
  similes: ['STOP_TALKING', 'STOP_CHATTING', 'STOP_CONVERSATION'],
  description: 'Stays silent: use when the message is not for you, or the conversation is over.',
  validate: always,
  handler: () => ({ success: true, values: { ignored: true } }),
};

export const noneAction: Action = {
  name: 'NONE',
  similes: ['NO_ACTION', 'NO_RESPONSE', 'NO_REACTION'],
  description: 'Answers with text only, doing nothing else.',
  validate: always,
  handler: () => ({ success: true }),
};

function roomModeAction(name: string, mode: 'followed' | 'unfollowed' | 'muted' | 'unmuted', description: string, similes: string[], fallback: string): Action {
  return {
    name,
    similes,
    description,
    validate: always,
    async handler(runtime: PluginRuntime, message: Memory, _state, options, callback?: HandlerCallback): Promise<ActionResult> {
      runtime.record({ kind: 'room_mode', roomId: message.roomId, mode });
      const text = responseText(options) || fallback;
      await callback?.({ text, actions: [name] });
      return { success: true, text, values: { roomMode: mode } };
    },
  };
}

export const followRoomAction = roomModeAction(
  'FOLLOW_ROOM',
  'followed',
  'Starts following this room: answer its messages without being named.',
  ['FOLLOW_CHAT', 'FOLLOW_CHANNEL', 'FOLLOW_CONVERSATION'],
  "I'll follow this conversation and chime in.",
);
export const unfollowRoomAction = roomModeAction(
  'UNFOLLOW_ROOM',
  'unfollowed',
  'Stops following this room: answer only when named (or as its only agent).',
  ['UNFOLLOW_CHAT', 'UNFOLLOW_CONVERSATION', 'UNFOLLOW_CHANNEL'],
  "Okay, I'll only answer here when someone asks me.",
);
export const muteRoomAction = roomModeAction(
  'MUTE_ROOM',
  'muted',
  'Mutes this room: stay silent unless someone names you.',
  ['MUTE_CHAT', 'MUTE_CONVERSATION', 'MUTE_CHANNEL'],
  "Okay, I'll stay quiet here unless someone names me.",
);
export const unmuteRoomAction = roomModeAction(
  'UNMUTE_ROOM',
  'unmuted',
  'Unmutes this room: answer again as usual.',
  ['UNMUTE_CHAT', 'UNMUTE_CONVERSATION', 'UNMUTE_CHANNEL'],
  "I'm back — I'll answer here again.",
);

export const bootstrapActions: Action[] = [replyAction, ignoreAction, noneAction, followRoomAction, unfollowRoomAction, muteRoomAction, unmuteRoomAction];

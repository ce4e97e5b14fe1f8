import type { Message, Room } from './types.ts';

/** The calls "edit and resend" makes (ApiClient's; named here so this logic loads without the DOM). */
export interface BranchingApi {
  messages(roomId: string, q: { before?: number; limit?: number }): Promise<Message[]>;
  forkRoom(roomId: string, body: { atMessageId: string; name?: string }): Promise<Room>;
  createRoom(name: string, agentIds: string[]): Promise<Room>;
  postMessage(roomId: string, text: string, clientMessageId: string): Promise<Message>;
}

/**
 * "Edit and resend": the room as it was just before `message`, with `text` posted in its place.
 * The branch is made at the message before it (asked of the API, so a message on an unloaded page
 * works too). The API cannot branch before a room's first message (`atMessageId` is required), and a
 * branch there would hold no history anyway: then a new room with the same agents is made instead.
 */
export async function editAndResend(
  api: BranchingApi,
  room: Room,
  message: Message,
  text: string,
  clientMessageId: string,
): Promise<{ room: Room; branched: boolean }> {
  const [before] = await api.messages(room.id, { before: message.seq, limit: 1 });
  const name = `${room.name} (edited)`.slice(0, 200);
  const target = before
    ? await api.forkRoom(room.id, { atMessageId: before.id, name })
    : await api.createRoom(
        name,
        room.participants.filter((p) => p.kind === 'agent').map((p) => p.id),
      );
  await api.postMessage(target.id, text, clientMessageId);
  return { room: target, branched: !!before };
}

/** The body of a re-ask from its small form: blank fields are left out; bio is one paragraph a line. */
export function reaskBody(form: { model: string; system: string; bio: string }): { model?: string; character?: Record<string, unknown> } {
  const character: Record<string, unknown> = {};
  if (form.system.trim()) character.system = form.system.trim();
  const bio = form.bio
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  if (bio.length) character.bio = bio;
  return { ...(form.model.trim() ? { model: form.model.trim() } : {}), ...(Object.keys(character).length ? { character } : {}) };
}

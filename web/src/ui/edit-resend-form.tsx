import { useRef, useState } from 'preact/hooks';
import { editAndResend } from '../api/branching.ts';
import { newClientId } from '../api/client-id.ts';
import { describeError } from '../api/errors.ts';
import type { Message, Room } from '../api/types.ts';
import { ErrorText } from './common.tsx';
import { useApp } from './context.ts';
import { href } from './route.ts';

/** "Edit and resend": the message's text to change, sent in a branch of the room made just before it. */
export function EditResendForm({ room, message, onCancel }: { room: Room; message: Message; onCancel: () => void }) {
  const { api } = useApp();
  const [text, setText] = useState(message.text);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  // The same id on a retry: a branch made but a post that failed is not posted twice.
  const clientId = useRef(newClientId());

  async function submit(e: Event) {
    e.preventDefault();
    if (!text.trim()) return;
    setBusy(true);
    setError(undefined);
    try {
      const { room: target } = await editAndResend(api, room, message, text.trim(), clientId.current);
      location.hash = href('chat', target.id);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const id = `edit-${message.id}`;
  return (
    <form class="inline-form" onSubmit={submit} aria-label="Edit and resend">
      <label for={id}>Edited message</label>
      <textarea id={id} rows={2} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      <p class="muted small">Sent in a new branch of this room, holding the conversation as it was before this message.</p>
      <ErrorText error={error} />
      <div class="actions">
        <button type="submit" disabled={busy || !text.trim()}>
          Send in a branch
        </button>
        <button type="button" class="link" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

import { useState } from 'preact/hooks';
import { describeError } from '../api/errors.ts';
import type { Message, Room } from '../api/types.ts';
import { ErrorText } from './common.tsx';
import { isOperator, useApp } from './context.ts';
import { EditResendForm } from './edit-resend-form.tsx';
import { ReaskForm } from './reask-form.tsx';
import { href } from './route.ts';

type Open = 'edit' | 'reask' | undefined;

/**
 * What can be done from one message (issue 18): branch the room here; on one's own message, edit it
 * and resend it in a branch made just before it; on an agent's reply (operators), re-ask it with
 * another model or character. Errors of the API show here, beside the action that failed.
 */
export function MessageActions({ room, message }: { room: Room; message: Message }) {
  const { api, account } = useApp();
  const [open, setOpen] = useState<Open>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const mine = message.authorKind === 'user' && message.authorId === account.id;
  const operator = isOperator(account);

  async function branchHere() {
    setBusy(true);
    setError(undefined);
    try {
      const branch = await api.forkRoom(room.id, { atMessageId: message.id });
      location.hash = href('chat', branch.id);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }
  const toggle = (which: Open) => setOpen((cur) => (cur === which ? undefined : which));

  return (
    <div class="msg-actions" data-testid="message-actions">
      <div class="actions">
        <button type="button" class="link" disabled={busy} onClick={branchHere}>
          Branch from here
        </button>
        {mine && (
          <button type="button" class="link" aria-expanded={open === 'edit'} onClick={() => toggle('edit')}>
            Edit and resend
          </button>
        )}
        {operator && message.authorKind === 'agent' && (
          <button type="button" class="link" aria-expanded={open === 'reask'} onClick={() => toggle('reask')}>
            Re-ask
          </button>
        )}
      </div>
      <ErrorText error={error} />
      {open === 'edit' && <EditResendForm room={room} message={message} onCancel={() => setOpen(undefined)} />}
      {open === 'reask' && <ReaskForm roomId={room.id} replyId={message.id} onCancel={() => setOpen(undefined)} />}
    </div>
  );
}

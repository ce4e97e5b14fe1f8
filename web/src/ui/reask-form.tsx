import { useState } from 'preact/hooks';
import { reaskBody } from '../api/branching.ts';
import { describeError } from '../api/errors.ts';
import { ErrorText } from './common.tsx';
import { useApp } from './context.ts';
import { href } from './route.ts';

/** The re-ask form of an agent reply: another model, and optionally another system prompt or bio. */
export function ReaskForm({ roomId, replyId, onCancel }: { roomId: string; replyId: string; onCancel: () => void }) {
  const { api } = useApp();
  const [form, setForm] = useState({ model: '', system: '', bio: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const field = (k: keyof typeof form) => ({
    value: form[k],
    onInput: (e: { currentTarget: { value: string } }) => setForm({ ...form, [k]: e.currentTarget.value }),
  });

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const r = await api.reask(replyId, reaskBody(form));
      location.hash = href('reask', [roomId, replyId, r.roomId, r.questionId].join('/'));
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="inline-form" onSubmit={submit} aria-label="Re-ask this reply">
      <label>
        Model <input name="model" placeholder="the agent's own" {...field('model')} />
      </label>
      <label>
        System prompt <textarea name="system" rows={2} placeholder="the agent's own" {...field('system')} />
      </label>
      <label>
        Bio (one line each) <textarea name="bio" rows={2} placeholder="the agent's own" {...field('bio')} />
      </label>
      <p class="muted small">The question is asked again in a branch, with what the agent knew then.</p>
      <ErrorText error={error} />
      <div class="actions">
        <button type="submit" disabled={busy}>
          Re-ask
        </button>
        <button type="button" class="link" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

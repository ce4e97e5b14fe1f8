import { useEffect, useState } from 'preact/hooks';
import { describeError } from '../api/errors.ts';
import type { Agent, CharacterKnowledgeReport } from '../api/types.ts';
import { ErrorText, Notice, ScreenTitle } from './common.tsx';
import { isOperator, useApp } from './context.ts';
import { href } from './route.ts';

/** Everyone sees the agents; operators and admins also create, edit, start, stop and delete them. */
export function AgentsScreen() {
  const { api, account } = useApp();
  const [agents, setAgents] = useState<Agent[]>([]);
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [editing, setEditing] = useState<string>();
  const op = isOperator(account);

  const reload = () => api.agents().then(setAgents, (e) => setError(describeError(e)));
  useEffect(() => void reload(), []);

  async function act(what: string, fn: () => Promise<unknown>) {
    setError(undefined);
    try {
      await fn();
      setNotice(what);
      await reload();
    } catch (err) {
      setError(describeError(err));
    }
  }

  return (
    <div class="screen">
      <ScreenTitle>Agents</ScreenTitle>
      <ErrorText error={error} />
      <Notice text={notice} />
      <ul class="cards">
        {agents.map((a) => (
          <li key={a.id} class="card" data-testid="agent">
            <h2>{a.name}</h2>
            <p><span class={`badge badge-${a.status}`}>{a.status}</span></p>
            {typeof a.character.bio === 'string' && <p>{a.character.bio}</p>}
            {Array.isArray(a.character.bio) && <p>{(a.character.bio as unknown[]).map(String).join(' ')}</p>}
            {op && (
              <div class="actions">
                {a.status === 'running'
                  ? <button type="button" onClick={() => act(`${a.name} stopped`, () => api.stopAgent(a.id))}>Stop</button>
                  : <button type="button" onClick={() => act(`${a.name} started`, () => api.startAgent(a.id))}>Start</button>}
                <button type="button" aria-expanded={editing === a.id} onClick={() => setEditing(editing === a.id ? undefined : a.id)}>Edit</button>
                <a class="button" href={href('knowledge', a.id)} aria-label={`Knowledge of ${a.name}`}>Knowledge</a>
                <button
                  type="button"
                  class="danger"
                  onClick={() => confirm(`Delete agent ${a.name}?`) && act(`${a.name} deleted`, () => api.deleteAgent(a.id))}
                >
                  Delete
                </button>
              </div>
            )}
            {op && editing === a.id && (
              <CharacterForm
                label={`Edit ${a.name} (a partial character is enough: only the fields given change)`}
                initial={JSON.stringify(a.character, null, 2)}
                submitText="Save changes"
                onSubmit={async (c) => {
                  await api.patchAgent(a.id, c);
                  setEditing(undefined);
                  setNotice(`${a.name} saved`);
                  await reload();
                }}
              />
            )}
          </li>
        ))}
      </ul>
      {op && (
        <section>
          <h2>Create an agent</h2>
          <CharacterForm
            label="Character JSON (ElizaOS format)"
            initial={SAMPLE}
            submitText="Create agent"
            onSubmit={async (c) => {
              const { agent, knowledge } = await api.createAgent(c);
              setNotice(`${agent.name} created${knowledge ? describeKnowledge(knowledge) : ''}`);
              await reload();
            }}
          />
        </section>
      )}
    </div>
  );
}

/** ", with 2 knowledge documents; skipped {path: x.md} (files are only read by …)" */
function describeKnowledge(k: CharacterKnowledgeReport): string {
  const parts = [`with ${k.documents.length} knowledge document${k.documents.length === 1 ? '' : 's'}`];
  for (const s of k.skipped) parts.push(`skipped ${s.item} (${s.reason})`);
  for (const f of k.failed) parts.push(`could not add "${f.title}": ${f.error}`);
  return `, ${parts.join('; ')}`;
}

const SAMPLE = JSON.stringify({ name: 'Ada', bio: ['A patient tutor of mathematics.'], system: 'You explain step by step.', topics: ['mathematics'], adjectives: ['patient'] }, null, 2);

/** Paste or upload a character; JSON syntax is checked here, the character itself by the API (its errors shown as they come). */
function CharacterForm({ label, initial, submitText, onSubmit }: { label: string; initial: string; submitText: string; onSubmit: (c: unknown) => Promise<void> }) {
  const [text, setText] = useState(initial);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [id] = useState(() => `char-${Math.random().toString(36).slice(2, 8)}`);

  async function submit(e: Event) {
    e.preventDefault();
    setError(undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      setError(`Not valid JSON: ${(err as Error).message}`);
      return;
    }
    setBusy(true);
    try {
      await onSubmit(parsed);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="character-form" onSubmit={submit}>
      <label for={id}>{label}</label>
      <textarea id={id} rows={10} spellcheck={false} value={text} onInput={(e) => setText(e.currentTarget.value)} aria-describedby={error ? `${id}-err` : undefined} />
      <label>Or load a character file (.json)
        <input
          type="file"
          accept=".json,application/json"
          onChange={async (e) => {
            const f = e.currentTarget.files?.[0];
            if (f) setText(await f.text());
          }}
        />
      </label>
      <ErrorText error={error} id={`${id}-err`} />
      <button type="submit" disabled={busy}>{submitText}</button>
    </form>
  );
}

import { useEffect, useState } from 'preact/hooks';
import { ApiError, describeError, type FieldProblem } from '../api/errors.ts';
import type { Agent, CharacterKnowledgeReport, ConversionReport } from '../api/types.ts';
import { ErrorText, Notice, ProblemList, ScreenTitle } from './common.tsx';
import { isOperator, useApp } from './context.ts';
import { href } from './route.ts';
import { AgentSettingsForm } from './agent-settings.tsx';

/** Everyone sees the agents; operators and admins also create, edit, start, stop and delete them. */
export function AgentsScreen() {
  const { api, account } = useApp();
  const [agents, setAgents] = useState<Agent[]>([]);
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [editing, setEditing] = useState<string>();
  /** The agent whose settings form is open. */
  const [tuning, setTuning] = useState<string>();
  /** How the server read the last character sent (a v0.x file is converted): shown until the next one. */
  const [conversion, setConversion] = useState<{ agent: string; report: ConversionReport }>();
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
      {conversion && <ConversionDetails agent={conversion.agent} report={conversion.report} />}
      {op && (
        <section>
          <h2>Create an agent</h2>
          <p class="hint">ElizaOS 1.x or v0.x: a v0.x character is converted, and what changed is shown here.</p>
          <CharacterForm
            label="Character JSON (ElizaOS format)"
            initial={SAMPLE}
            submitText="Create agent"
            onSubmit={async (c) => {
              const { agent, knowledge, conversion: report } = await api.createAgent(c);
              setConversion(report && { agent: agent.name, report });
              setNotice(`${agent.name} created${knowledge ? describeKnowledge(knowledge) : ''}`);
              await reload();
            }}
          />
        </section>
      )}
      <ul class="cards">
        {agents.map((a) => (
          <li key={a.id} class="card" data-testid="agent">
            <h2>{a.name}</h2>
            <p>
              <span class={`badge badge-${a.status}`}>{a.status}</span>
            </p>
            <Paragraphs label="Bio" value={a.character.bio} />
            <Paragraphs label="Lore" value={a.character.lore} heading />
            {op && (
              <div class="actions">
                {a.status === 'running' ? (
                  <button type="button" onClick={() => act(`${a.name} stopped`, () => api.stopAgent(a.id))}>
                    Stop
                  </button>
                ) : (
                  <button type="button" onClick={() => act(`${a.name} started`, () => api.startAgent(a.id))}>
                    Start
                  </button>
                )}
                <button type="button" aria-expanded={editing === a.id} onClick={() => setEditing(editing === a.id ? undefined : a.id)}>
                  Edit
                </button>
                <button
                  type="button"
                  aria-expanded={tuning === a.id}
                  aria-label={`Settings of ${a.name}`}
                  onClick={() => setTuning(tuning === a.id ? undefined : a.id)}
                >
                  Settings
                </button>
                <a class="button" href={href('knowledge', a.id)} aria-label={`Knowledge of ${a.name}`}>
                  Knowledge
                </a>
                <button
                  type="button"
                  class="danger"
                  onClick={() => confirm(`Delete agent ${a.name}?`) && act(`${a.name} deleted`, () => api.deleteAgent(a.id))}
                >
                  Delete
                </button>
              </div>
            )}
            {op && tuning === a.id && (
              <AgentSettingsForm
                agent={a}
                onSaved={async (r) => {
                  setTuning(undefined);
                  setNotice(r.changed === false ? `${a.name}: nothing changed` : `${a.name}: settings saved`);
                  await reload();
                }}
              />
            )}
            {op && editing === a.id && (
              <CharacterForm
                label={`Edit ${a.name} (a partial character is enough: only the fields given change)`}
                initial={JSON.stringify(a.character, null, 2)}
                submitText="Save changes"
                onSubmit={async (c) => {
                  const r = await api.patchAgent(a.id, c);
                  setEditing(undefined);
                  setConversion(r.conversion && { agent: r.agent.name, report: r.conversion });
                  setNotice(r.changed === false ? `${a.name}: nothing changed` : `${a.name} saved`);
                  await reload();
                }}
              />
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * A character's `bio` or `lore` as a person reads it: one paragraph per item of an array, or per
 * blank-line-separated block of a string (characters use both shapes).
 */
function Paragraphs({ label, value, heading }: { label: string; value: unknown; heading?: boolean }) {
  const items = (Array.isArray(value) ? value : typeof value === 'string' ? value.split(/\n\s*\n/) : [])
    .filter((x): x is string => typeof x === 'string')
    .map((x) => x.trim())
    .filter(Boolean);
  if (!items.length) return null;
  return (
    <div class="paragraphs" data-testid={label.toLowerCase()} aria-label={heading ? undefined : label}>
      {heading && <h3>{label}</h3>}
      {items.map((t, i) => (
        <p key={i}>{t}</p>
      ))}
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

/** What the conversion of a v0.x character did, by field path; nothing for a 1.x character read as it is. */
function ConversionDetails({ agent, report }: { agent: string; report: ConversionReport }) {
  if (report.generation === 'v1' && !report.warnings.length) return null;
  return (
    <section class="conversion" data-testid="conversion-report" aria-label={`How the character of ${agent} was converted`}>
      <p>
        {agent}: read as an ElizaOS v0.x character (because of {report.markers.join(', ')}) and converted to 1.x.
      </p>
      <ul>
        {report.converted.map((c) => (
          <li key={`c-${c.path}`}>
            converted <code>{c.path}</code> → <code>{c.to}</code>
            {c.note ? ` (${c.note})` : ''}
          </li>
        ))}
        {report.dropped.map((d) => (
          <li key={`d-${d.path}`}>
            dropped <code>{d.path}</code>: {d.reason}
          </li>
        ))}
        {report.warnings.map((w) => (
          <li key={`w-${w.path}`} class="warning">
            warning <code>{w.path}</code>: {w.message}
          </li>
        ))}
      </ul>
    </section>
  );
}

const SAMPLE = JSON.stringify(
  { name: 'Ada', bio: ['A patient tutor of mathematics.'], system: 'You explain step by step.', topics: ['mathematics'], adjectives: ['patient'] },
  null,
  2,
);

/** Paste or upload a character; JSON syntax is checked here, the character itself by the API (its errors shown as they come). */
function CharacterForm({
  label,
  initial,
  submitText,
  onSubmit,
}: {
  label: string;
  initial: string;
  submitText: string;
  onSubmit: (c: unknown) => Promise<void>;
}) {
  const [text, setText] = useState(initial);
  const [error, setError] = useState<string>();
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const [busy, setBusy] = useState(false);
  const [id] = useState(() => `char-${Math.random().toString(36).slice(2, 8)}`);

  async function submit(e: Event) {
    e.preventDefault();
    setError(undefined);
    setProblems([]);
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
      if (err instanceof ApiError && err.problems.length) setProblems(err.problems);
      else setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="character-form" onSubmit={submit}>
      <label for={id}>{label}</label>
      <textarea
        id={id}
        rows={10}
        spellcheck={false}
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        aria-describedby={error || problems.length ? `${id}-err` : undefined}
      />
      <label>
        Or load a character file (.json)
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
      {problems.length > 0 && <ProblemList problems={problems} id={`${id}-err`} subject="The character" testId="character-problems" />}
      <button type="submit" disabled={busy}>
        {submitText}
      </button>
    </form>
  );
}

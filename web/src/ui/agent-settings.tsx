import { useState } from 'preact/hooks';
import type { FieldProblem } from '../api/errors.ts';
import type { Agent } from '../api/types.ts';
import { FormErrors, formFailure, type FormFailure } from './common.tsx';
import { useApp } from './context.ts';

/** The providers the server ships; a plugin's provider can be typed in too. */
const PROVIDERS = ['local', 'openai', 'anthropic', 'openrouter', 'ollama'];

/**
 * The settings keys the server reads for this form (src/models/character-models.ts): the first key is
 * the one written, the others are older spellings it also reads, cleared so they cannot shadow it.
 */
const FIELDS = {
  provider: ['MODEL_PROVIDER', 'modelProvider'],
  large: ['TEXT_LARGE_MODEL', 'LARGE_MODEL', 'model'],
  small: ['TEXT_SMALL_MODEL', 'SMALL_MODEL'],
  temperature: ['TEXT_LARGE_TEMPERATURE'],
} as const;
type Field = keyof typeof FIELDS;

interface SecretRow {
  name: string;
  value: string;
}

/**
 * An agent's common settings (model provider, large and small model, temperature of replies) and its
 * secrets, as a form instead of raw JSON. Sent as `PATCH /api/v1/agents/:id {settings, secrets?}`:
 * the other settings are sent back as they were; secrets are write-only (the API never returns them),
 * so their inputs start empty and are sent only when filled in.
 */
export function AgentSettingsForm({ agent, onSaved }: { agent: Agent; onSaved: (r: { changed?: boolean }) => Promise<void> }) {
  const { api } = useApp();
  const current = (agent.character.settings ?? {}) as Record<string, unknown>;
  const [values, setValues] = useState<Record<Field, string>>(() => {
    const read = (f: Field) => FIELDS[f].map((k) => current[k]).find((v) => v !== undefined && v !== null && v !== '');
    return { provider: str(read('provider')), large: str(read('large')), small: str(read('small')), temperature: str(read('temperature')) };
  });
  const [secrets, setSecrets] = useState<SecretRow[]>([{ name: '', value: '' }]);
  const [failure, setFailure] = useState<FormFailure>();
  const [busy, setBusy] = useState(false);
  const id = `settings-${agent.id}`;
  const set = (f: Field) => (e: Event) => setValues({ ...values, [f]: (e.currentTarget as HTMLInputElement).value });

  async function submit(e: Event) {
    e.preventDefault();
    setFailure(undefined);
    const problems = checkInput(values, secrets);
    if (problems.length) return setFailure({ problems });
    const settings: Record<string, unknown> = { ...current };
    for (const f of Object.keys(FIELDS) as Field[]) {
      for (const k of FIELDS[f]) delete settings[k];
      const v = values[f].trim();
      if (v) settings[FIELDS[f][0]] = f === 'temperature' ? Number(v) : f === 'provider' ? v.toLowerCase() : v;
    }
    const filled = secrets.filter((s) => s.value !== '');
    setBusy(true);
    try {
      const r = await api.patchAgent(agent.id, {
        settings,
        ...(filled.length ? { secrets: Object.fromEntries(filled.map((s) => [s.name.trim(), s.value])) } : {}),
      });
      setSecrets([{ name: '', value: '' }]);
      await onSaved(r);
    } catch (err) {
      setFailure(formFailure(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="stack settings-form" onSubmit={submit} aria-label={`Settings of ${agent.name}`} noValidate>
      <label>
        Model provider
        <input list={`${id}-providers`} value={values.provider} placeholder="the server's MODEL_PROVIDER" onInput={set('provider')} />
      </label>
      <datalist id={`${id}-providers`}>
        {PROVIDERS.map((p) => (
          <option key={p} value={p} />
        ))}
      </datalist>
      <label>
        Large model (replies)
        <input value={values.large} placeholder="the provider's default" onInput={set('large')} />
      </label>
      <label>
        Small model (quick decisions)
        <input value={values.small} placeholder="the provider's default" onInput={set('small')} />
      </label>
      <label>
        Temperature of replies (0–2)
        <input inputMode="decimal" value={values.temperature} placeholder="the provider's default" onInput={set('temperature')} />
      </label>
      <fieldset>
        <legend>Secrets (write-only)</legend>
        <p class="hint">
          Never shown again once saved. Saving any secret here replaces the agent's <code>secrets</code> as a whole (the API never says which exist);{' '}
          <code>settings.secrets</code> from its character file stay. Empty values change nothing.
        </p>
        {secrets.map((s, i) => (
          <div class="row" key={i}>
            <label class="grow">
              Secret name
              <input
                value={s.name}
                placeholder="OPENAI_API_KEY"
                autoComplete="off"
                onInput={(e) => setSecrets(secrets.map((x, j) => (j === i ? { ...x, name: e.currentTarget.value } : x)))}
              />
            </label>
            <label class="grow">
              Secret value
              <input
                type="password"
                value={s.value}
                autoComplete="new-password"
                onInput={(e) => setSecrets(secrets.map((x, j) => (j === i ? { ...x, value: e.currentTarget.value } : x)))}
              />
            </label>
          </div>
        ))}
        <button type="button" onClick={() => setSecrets([...secrets, { name: '', value: '' }])}>
          Add a secret
        </button>
      </fieldset>
      <FormErrors failure={failure} id={`${id}-err`} subject="The settings form" />
      <button type="submit" disabled={busy}>
        Save settings
      </button>
    </form>
  );
}

const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));

/** What can be told before asking the server, by field path as the server names them. */
function checkInput(values: Record<Field, string>, secrets: SecretRow[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const t = values.temperature.trim();
  if (t && !(Number.isFinite(Number(t)) && Number(t) >= 0 && Number(t) <= 2)) {
    problems.push({ path: 'settings.TEXT_LARGE_TEMPERATURE', message: 'must be a number from 0 to 2', hint: 'e.g. 0.7; leave empty for the default' });
  }
  secrets.forEach((s, i) => {
    const name = s.name.trim();
    if (s.value !== '' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      problems.push({
        path: `secrets.${name || i}`,
        message: name ? 'a secret name is letters, digits and _' : 'a secret value needs a name',
        hint: 'e.g. OPENAI_API_KEY',
      });
    }
  });
  return problems;
}

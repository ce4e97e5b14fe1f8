import { useState } from 'preact/hooks';
import type { ApiClient } from '../api/client.ts';
import { describeError } from '../api/errors.ts';
import { ErrorText, ScreenTitle } from './common.tsx';

export function LoginScreen({ api }: { api: ApiClient }) {
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [keep, setKeep] = useState(false);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      if (mode === 'login') await api.login(username.trim(), password, keep);
      else await api.register(username.trim(), password, name.trim() || undefined, keep);
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }

  return (
    <main id="main" class="login">
      <ScreenTitle>{mode === 'login' ? 'Sign in to Chronicle' : 'Create a Chronicle account'}</ScreenTitle>
      <form onSubmit={submit} aria-describedby={error ? 'login-error' : undefined}>
        <label>
          Username
          <input name="username" autoComplete="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        {mode === 'register' && (
          <label>
            Display name (optional)
            <input name="name" autoComplete="name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
        )}
        <label class="inline">
          <input type="checkbox" checked={keep} onChange={(e) => setKeep(e.currentTarget.checked)} /> Keep me signed in on this device
        </label>
        <ErrorText error={error} id="login-error" />
        <button type="submit" disabled={busy}>
          {mode === 'login' ? 'Sign in' : 'Register'}
        </button>
      </form>
      <p>
        {mode === 'login' ? 'No account yet? ' : 'Already registered? '}
        <button
          type="button"
          class="link"
          onClick={() => {
            setMode(mode === 'login' ? 'register' : 'login');
            setError(undefined);
          }}
        >
          {mode === 'login' ? 'Register' : 'Sign in'}
        </button>
      </p>
    </main>
  );
}

import { useMutation } from '@apollo/client/react';
import { type FormEvent, useState } from 'react';
import { ErrorNote } from '../components/ErrorNote.tsx';
import { describeError } from '../errors.ts';
import { LoginMutation, RegisterMutation } from '../operations.ts';
import type { Session } from '../session.ts';

/** Log in or sign up; the token goes to localStorage (App) and every later request. */
export function AuthScreen({ notice, onSignedIn }: { notice: string | null; onSignedIn: (session: Session) => void }) {
  const [mode, setMode] = useState<'login' | 'signup'>('login');
  const [handle, setHandle] = useState('');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [login, loginState] = useMutation(LoginMutation);
  const [register, registerState] = useMutation(RegisterMutation);
  const busy = loginState.loading || registerState.loading;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      const result =
        mode === 'login'
          ? (await login({ variables: { handle, password } })).data?.login
          : (await register({ variables: { handle, password, displayName: displayName || null } })).data?.register;
      if (result) onSignedIn({ token: result.token, userId: result.user.id, handle: result.user.handle });
    } catch (e) {
      setError(describeError(e, 'auth').message);
    }
  };
  const title = mode === 'login' ? 'Log in' : 'Sign up';

  return (
    <main className="screen auth">
      <h1>Micropost</h1>
      <p className="muted">Short posts, live.</p>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <form onSubmit={submit} aria-label={title}>
        <h2>{title}</h2>
        <label>
          Handle
          <input
            name="handle"
            autoComplete="username"
            autoCapitalize="none"
            required
            value={handle}
            onChange={(e) => setHandle(e.target.value)}
          />
        </label>
        {mode === 'signup' && (
          <label>
            Display name
            <input
              name="displayName"
              autoComplete="name"
              value={displayName}
              onChange={(e) => setDisplayName(e.target.value)}
            />
          </label>
        )}
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {mode === 'signup' && (
          <p className="hint muted">Handles: 3–30 of a–z, 0–9 and _. Passwords: at least 8 characters.</p>
        )}
        <ErrorNote message={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Please wait…' : title}
        </button>
      </form>
      <p>
        {mode === 'login' ? 'New here? ' : 'Have an account? '}
        <button
          type="button"
          className="link-button"
          onClick={() => {
            setError(null);
            setMode(mode === 'login' ? 'signup' : 'login');
          }}
        >
          {mode === 'login' ? 'Create an account' : 'Log in instead'}
        </button>
      </p>
    </main>
  );
}

import { useEffect, useState } from 'react';
import { api, ApiError } from '../api.js';

function formatTime(value) {
  if (!value) return 'not recorded';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC').replace(/Z$/, ' UTC');
}

function Status({ label, state, testId }) {
  const text = { ok: 'ok', unavailable: 'unavailable', unreachable: 'unreachable', checking: 'checking…' }[state] || state;
  return (
    <div className="status-row">
      <span>{label}</span>
      <span className={`badge badge-${state}`} data-testid={testId}>
        {text}
      </span>
    </div>
  );
}

export default function Dashboard({ token, onSignedOut, onExpired }) {
  const [user, setUser] = useState(null);
  const [health, setHealth] = useState({ state: 'checking' });
  const [signingOut, setSigningOut] = useState(false);
  const [error, setError] = useState('');

  useEffect(() => {
    let live = true;
    api
      .me(token)
      .then((me) => live && setUser(me))
      .catch((e) => {
        if (!live) return;
        if (e instanceof ApiError && e.status === 401) onExpired();
        else setError('Your account could not be loaded. The backend may be down.');
      });
    api
      .health()
      .then((result) => {
        if (!live) return;
        if (result.body && result.body.release !== undefined) {
          setHealth({
            state: 'answered',
            backend: 'ok',
            database: result.body.database === 'ok' ? 'ok' : 'unavailable',
            release: result.body.release,
            releasedAt: result.body.released_at,
          });
        } else {
          setHealth({ state: 'answered', backend: 'unreachable', database: 'unreachable' });
        }
      })
      .catch(() => live && setHealth({ state: 'answered', backend: 'unreachable', database: 'unreachable' }));
    return () => {
      live = false;
    };
  }, [token, onExpired]);

  async function signOut() {
    setSigningOut(true);
    try {
      await api.logout(token);
    } catch {
      // The token is dropped locally either way; a dead one is already useless.
    }
    onSignedOut();
  }

  const checking = health.state === 'checking';
  return (
    <main className="card wide">
      <header className="dash-head">
        <h1>Dashboard</h1>
        <button type="button" onClick={signOut} disabled={signingOut}>
          {signingOut ? 'Signing out…' : 'Sign out'}
        </button>
      </header>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <section aria-label="account">
        <h2>Account</h2>
        {user ? (
          <p data-testid="user">
            Signed in as <strong>{user.username}</strong> (<span data-testid="user-email">{user.email}</span>)
          </p>
        ) : (
          !error && <p>Loading your account…</p>
        )}
      </section>
      <section aria-label="release">
        <h2>Release</h2>
        {checking ? (
          <p>Checking…</p>
        ) : health.release !== undefined ? (
          <dl>
            <dt>Release id</dt>
            <dd>
              <code data-testid="release-id">{health.release}</code>
            </dd>
            <dt>Released at</dt>
            <dd data-testid="released-at">{formatTime(health.releasedAt)}</dd>
          </dl>
        ) : (
          <p>Release unknown: the backend did not answer.</p>
        )}
      </section>
      <section aria-label="health">
        <h2>Health</h2>
        <Status label="Backend" state={checking ? 'checking' : health.backend} testId="backend-health" />
        <Status label="Database" state={checking ? 'checking' : health.database} testId="database-health" />
      </section>
    </main>
  );
}

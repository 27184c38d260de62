import { useState } from 'react';
import Field from '../Field.jsx';
import { api, ApiError } from '../api.js';
import { validateSignIn } from '../validate.js';

export default function SignIn({ onSignedIn, navigate, notice, initialEmail = '' }) {
  const [form, setForm] = useState({ email: initialEmail, password: '' });
  const [errors, setErrors] = useState({});
  const [formError, setFormError] = useState('');
  const [busy, setBusy] = useState(false);
  const set = (name) => (value) => setForm((f) => ({ ...f, [name]: value }));

  async function submit(event) {
    event.preventDefault();
    setFormError('');
    const found = validateSignIn(form);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      const result = await api.login(form.email.trim(), form.password);
      onSignedIn(result.token, result.user);
    } catch (error) {
      if (error instanceof ApiError && Object.keys(error.fieldErrors).length > 0) {
        setErrors(error.fieldErrors);
      } else if (error instanceof ApiError && error.status === 401) {
        setFormError('Wrong email or password.');
      } else {
        setFormError(error instanceof ApiError ? error.detail : 'The server cannot be reached. Try again.');
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="card">
      <h1>Sign in</h1>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <form onSubmit={submit} noValidate aria-label="sign in">
        <Field id="email" label="Email" type="email" autoComplete="email" value={form.email} onChange={set('email')} errors={errors.email} />
        <Field id="password" label="Password" type="password" autoComplete="current-password" value={form.password} onChange={set('password')} errors={errors.password} />
        {formError && (
          <p className="form-error" role="alert">
            {formError}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="switch">
        No account yet?{' '}
        <a href="/signup" onClick={(e) => { e.preventDefault(); navigate('/signup'); }}>
          Sign up
        </a>
      </p>
    </main>
  );
}

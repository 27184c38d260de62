import { useState } from 'react';
import Field from '../Field.jsx';
import { api, ApiError } from '../api.js';
import { validateSignUp } from '../validate.js';

export default function SignUp({ onRegistered, navigate }) {
  const [form, setForm] = useState({ email: '', username: '', password: '', confirm: '' });
  const [errors, setErrors] = useState({});
  const [formError, setFormError] = useState('');
  const [busy, setBusy] = useState(false);
  const set = (name) => (value) => setForm((f) => ({ ...f, [name]: value }));

  async function submit(event) {
    event.preventDefault();
    setFormError('');
    const found = validateSignUp(form);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      const user = await api.register(form.email.trim(), form.username.trim(), form.password);
      onRegistered(user);
    } catch (error) {
      if (error instanceof ApiError && Object.keys(error.fieldErrors).length > 0) {
        setErrors(error.fieldErrors);
      } else {
        setFormError(error instanceof ApiError ? error.detail : 'The server cannot be reached. Try again.');
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="card">
      <h1>Create an account</h1>
      <form onSubmit={submit} noValidate aria-label="sign up">
        <Field id="email" label="Email" type="email" autoComplete="email" value={form.email} onChange={set('email')} errors={errors.email} />
        <Field id="username" label="Username" autoComplete="username" value={form.username} onChange={set('username')} errors={errors.username} />
        <Field id="password" label="Password" type="password" autoComplete="new-password" value={form.password} onChange={set('password')} errors={errors.password} />
        <Field id="confirm" label="Confirm password" type="password" autoComplete="new-password" value={form.confirm} onChange={set('confirm')} errors={errors.confirm} />
        {formError && (
          <p className="form-error" role="alert">
            {formError}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Sign up'}
        </button>
      </form>
      <p className="switch">
        Already registered?{' '}
        <a href="/signin" onClick={(e) => { e.preventDefault(); navigate('/signin'); }}>
          Sign in
        </a>
      </p>
    </main>
  );
}

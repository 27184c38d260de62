import Field from '../Field.jsx';
import { api, ApiError } from '../api.js';
import { useApiForm } from '../useApiForm.js';
import { validateSignIn } from '../validate.js';

export default function SignIn({ onSignedIn, navigate, notice, initialEmail = '' }) {
  const { form, set, errors, formError, busy, submit } = useApiForm(
    { email: initialEmail, password: '' },
    validateSignIn,
    async ({ email, password }) => {
      const result = await api.login(email.trim(), password);
      onSignedIn(result.token, result.user);
    },
    (error) => (error instanceof ApiError && error.status === 401 ? 'Wrong email or password.' : ''),
  );

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

import Field from '../Field.jsx';
import { api } from '../api.js';
import { useApiForm } from '../useApiForm.js';
import { validateSignUp } from '../validate.js';

export default function SignUp({ onRegistered, navigate }) {
  const { form, set, errors, formError, busy, submit } = useApiForm(
    { email: '', username: '', password: '', confirm: '' },
    validateSignUp,
    async ({ email, username, password }) => {
      onRegistered(await api.register(email.trim(), username.trim(), password));
    },
  );

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

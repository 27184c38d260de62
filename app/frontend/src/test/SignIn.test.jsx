import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import SignIn from '../pages/SignIn.jsx';
import { mockFetch, sentBody } from './fetchMock.js';

async function signIn(user, email = 'ada@example.com', password = 'correct-horse-9') {
  if (email) await user.type(screen.getByLabelText('Email'), email);
  if (password) await user.type(screen.getByLabelText('Password'), password);
  await user.click(screen.getByRole('button', { name: 'Sign in' }));
}

describe('SignIn', () => {
  it('validates before calling the API', async () => {
    const fetch = mockFetch({});
    const user = userEvent.setup();
    render(<SignIn onSignedIn={vi.fn()} navigate={vi.fn()} />);
    await signIn(user, 'ada@', '');
    expect(screen.getByText('Enter a valid email address.')).toBeInTheDocument();
    expect(screen.getByText('Enter your password.')).toBeInTheDocument();
    expect(fetch).not.toHaveBeenCalled();
  });

  it('hands the token over on success', async () => {
    const fetch = mockFetch({
      'POST /api/auth/login': { body: { token: 'tok-123', user: { email: 'ada@example.com', username: 'ada' } } },
    });
    const onSignedIn = vi.fn();
    const user = userEvent.setup();
    render(<SignIn onSignedIn={onSignedIn} navigate={vi.fn()} />);
    await signIn(user);
    await waitFor(() => expect(onSignedIn).toHaveBeenCalledWith('tok-123', { email: 'ada@example.com', username: 'ada' }));
    expect(sentBody(fetch, 'POST /api/auth/login')).toEqual({ email: 'ada@example.com', password: 'correct-horse-9' });
  });

  it('shows wrong credentials', async () => {
    mockFetch({ 'POST /api/auth/login': { status: 401, body: { detail: 'invalid email or password' } } });
    const onSignedIn = vi.fn();
    const user = userEvent.setup();
    render(<SignIn onSignedIn={onSignedIn} navigate={vi.fn()} />);
    await signIn(user);
    expect(await screen.findByRole('alert')).toHaveTextContent('Wrong email or password.');
    expect(onSignedIn).not.toHaveBeenCalled();
  });

  it('says so when nginx refuses too many attempts (429, not JSON)', async () => {
    mockFetch({ 'POST /api/auth/login': { status: 429 } });
    const user = userEvent.setup();
    render(<SignIn onSignedIn={vi.fn()} navigate={vi.fn()} />);
    await signIn(user);
    expect(await screen.findByRole('alert')).toHaveTextContent('Too many attempts. Wait a moment and try again.');
  });

  it("shows the API's field errors", async () => {
    mockFetch({ 'POST /api/auth/login': { status: 400, body: { errors: { email: ['This field is required.'] } } } });
    const user = userEvent.setup();
    render(<SignIn onSignedIn={vi.fn()} navigate={vi.fn()} />);
    await signIn(user);
    expect(await screen.findByText('This field is required.')).toBeInTheDocument();
  });

  it('shows a notice and a prefilled email after sign-up', () => {
    render(<SignIn onSignedIn={vi.fn()} navigate={vi.fn()} notice="Account created. Sign in to continue." initialEmail="ada@example.com" />);
    expect(screen.getByRole('status')).toHaveTextContent('Account created');
    expect(screen.getByLabelText('Email')).toHaveValue('ada@example.com');
  });

  it('links to sign-up without reloading', async () => {
    const navigate = vi.fn();
    const user = userEvent.setup();
    render(<SignIn onSignedIn={vi.fn()} navigate={navigate} />);
    await user.click(screen.getByRole('link', { name: 'Sign up' }));
    expect(navigate).toHaveBeenCalledWith('/signup');
  });
});

import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import App from '../App.jsx';
import { TOKEN_KEY } from '../api.js';
import { mockFetch } from './fetchMock.js';

const ME = { id: 7, email: 'ada@example.com', username: 'ada' };
const HEALTH = { status: 'ok', database: 'ok', release: 'r-1', released_at: null };

describe('App routing and session', () => {
  beforeEach(() => window.history.replaceState(null, '', '/'));

  it('sends a visitor without a token to sign-in', () => {
    mockFetch({});
    render(<App />);
    expect(screen.getByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    expect(window.location.pathname).toBe('/signin');
  });

  it('goes from sign-up to sign-in with the email kept', async () => {
    window.history.replaceState(null, '', '/signup');
    mockFetch({ 'POST /api/auth/register': { status: 201, body: ME } });
    const user = userEvent.setup();
    render(<App />);
    await user.type(screen.getByLabelText('Email'), 'ada@example.com');
    await user.type(screen.getByLabelText('Username'), 'ada');
    await user.type(screen.getByLabelText('Password'), 'correct-horse-9');
    await user.type(screen.getByLabelText('Confirm password'), 'correct-horse-9');
    await user.click(screen.getByRole('button', { name: 'Sign up' }));
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    expect(screen.getByLabelText('Email')).toHaveValue('ada@example.com');
    expect(window.location.pathname).toBe('/signin');
  });

  it('signs in, keeps the token, and signs out', async () => {
    mockFetch({
      'POST /api/auth/login': { body: { token: 'tok-9', user: ME } },
      'GET /api/auth/me': { body: ME },
      'GET /api/health': { body: HEALTH },
      'POST /api/auth/logout': { status: 204 },
    });
    const user = userEvent.setup();
    render(<App />);
    await user.type(screen.getByLabelText('Email'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'correct-horse-9');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByTestId('release-id')).toHaveTextContent('r-1');
    expect(window.location.pathname).toBe('/dashboard');
    expect(window.localStorage.getItem(TOKEN_KEY)).toBe('tok-9');
    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(await screen.findByRole('status')).toHaveTextContent('You are signed out.');
    expect(window.localStorage.getItem(TOKEN_KEY)).toBeNull();
  });

  it('drops an expired token and asks to sign in again', async () => {
    window.localStorage.setItem(TOKEN_KEY, 'old');
    window.history.replaceState(null, '', '/dashboard');
    mockFetch({ 'GET /api/auth/me': { status: 401, body: { detail: 'expired' } }, 'GET /api/health': { body: HEALTH } });
    render(<App />);
    expect(await screen.findByRole('status')).toHaveTextContent('Your session has expired');
    await waitFor(() => expect(window.location.pathname).toBe('/signin'));
    expect(window.localStorage.getItem(TOKEN_KEY)).toBeNull();
  });
});

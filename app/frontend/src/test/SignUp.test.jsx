import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import SignUp from '../pages/SignUp.jsx';
import { mockFetch, sentBody } from './fetchMock.js';

async function fill(user, { email = 'ada@example.com', username = 'ada', password = 'correct-horse-9', confirm } = {}) {
  if (email) await user.type(screen.getByLabelText('Email'), email);
  if (username) await user.type(screen.getByLabelText('Username'), username);
  if (password) await user.type(screen.getByLabelText('Password'), password);
  const again = confirm === undefined ? password : confirm;
  if (again) await user.type(screen.getByLabelText('Confirm password'), again);
  await user.click(screen.getByRole('button', { name: 'Sign up' }));
}

describe('SignUp', () => {
  it('checks the fields before calling the API', async () => {
    const fetch = mockFetch({});
    const user = userEvent.setup();
    render(<SignUp onRegistered={vi.fn()} navigate={vi.fn()} />);
    await fill(user, { email: 'not-an-email', username: 'ada', password: 'short', confirm: 'other' });
    expect(screen.getByText('Enter a valid email address.')).toBeInTheDocument();
    expect(screen.getByText('Use at least 8 characters.')).toBeInTheDocument();
    expect(screen.getByText('The passwords do not match.')).toBeInTheDocument();
    expect(screen.getByLabelText('Email')).toHaveAttribute('aria-invalid', 'true');
    expect(fetch).not.toHaveBeenCalled();
  });

  it('requires every field', async () => {
    mockFetch({});
    const user = userEvent.setup();
    render(<SignUp onRegistered={vi.fn()} navigate={vi.fn()} />);
    await user.click(screen.getByRole('button', { name: 'Sign up' }));
    expect(screen.getByText('Enter your email address.')).toBeInTheDocument();
    expect(screen.getByText('Choose a username.')).toBeInTheDocument();
    expect(screen.getByText('Choose a password.')).toBeInTheDocument();
  });

  it('posts to the relative API path and reports the new user', async () => {
    const created = { id: 1, email: 'ada@example.com', username: 'ada' };
    const fetch = mockFetch({ 'POST /api/auth/register': { status: 201, body: created } });
    const onRegistered = vi.fn();
    const user = userEvent.setup();
    render(<SignUp onRegistered={onRegistered} navigate={vi.fn()} />);
    await fill(user);
    await waitFor(() => expect(onRegistered).toHaveBeenCalledWith(created));
    expect(sentBody(fetch, 'POST /api/auth/register')).toEqual({
      email: 'ada@example.com',
      username: 'ada',
      password: 'correct-horse-9',
    });
  });

  it("shows the API's field errors", async () => {
    mockFetch({
      'POST /api/auth/register': {
        status: 400,
        body: { errors: { password: ['This password is too common.'] } },
      },
    });
    const onRegistered = vi.fn();
    const user = userEvent.setup();
    render(<SignUp onRegistered={onRegistered} navigate={vi.fn()} />);
    await fill(user, { password: 'password1' });
    expect(await screen.findByText('This password is too common.')).toBeInTheDocument();
    expect(onRegistered).not.toHaveBeenCalled();
  });

  it('shows a conflict on the email field', async () => {
    mockFetch({
      'POST /api/auth/register': {
        status: 409,
        body: { errors: { email: ['A user with this email already exists.'] } },
      },
    });
    const user = userEvent.setup();
    render(<SignUp onRegistered={vi.fn()} navigate={vi.fn()} />);
    await fill(user);
    expect(await screen.findByText('A user with this email already exists.')).toBeInTheDocument();
  });

  it('says so when the server cannot be reached', async () => {
    mockFetch({ 'POST /api/auth/register': new TypeError('Failed to fetch') });
    const user = userEvent.setup();
    render(<SignUp onRegistered={vi.fn()} navigate={vi.fn()} />);
    await fill(user);
    expect(await screen.findByRole('alert')).toHaveTextContent('The server cannot be reached');
    expect(screen.getByRole('button', { name: 'Sign up' })).toBeEnabled();
  });
});

import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import Dashboard from '../pages/Dashboard.jsx';
import { mockFetch } from './fetchMock.js';

const ME = { id: 7, email: 'ada@example.com', username: 'ada' };
const HEALTHY = {
  status: 'ok',
  database: 'ok',
  release: '20261129T193000Z-abc1234',
  released_at: '2026-11-29T19:30:00Z',
};

function renderDashboard(props = {}) {
  return render(<Dashboard token="tok-1" onSignedOut={vi.fn()} onExpired={vi.fn()} {...props} />);
}

describe('Dashboard', () => {
  it('shows a loading state first', () => {
    mockFetch({ 'GET /api/auth/me': () => new Promise(() => {}), 'GET /api/health': () => new Promise(() => {}) });
    renderDashboard();
    expect(screen.getByText('Loading your account…')).toBeInTheDocument();
    expect(screen.getByTestId('backend-health')).toHaveTextContent('checking…');
  });

  it('shows the user, the release and healthy services', async () => {
    const fetch = mockFetch({ 'GET /api/auth/me': { body: ME }, 'GET /api/health': { body: HEALTHY } });
    renderDashboard();
    expect(await screen.findByTestId('user-email')).toHaveTextContent('ada@example.com');
    expect(screen.getByTestId('user')).toHaveTextContent('Signed in as ada');
    expect(await screen.findByTestId('release-id')).toHaveTextContent('20261129T193000Z-abc1234');
    expect(screen.getByTestId('released-at')).toHaveTextContent('2026-11-29 19:30:00 UTC');
    expect(screen.getByTestId('backend-health')).toHaveTextContent('ok');
    expect(screen.getByTestId('database-health')).toHaveTextContent('ok');
    const meCall = fetch.mock.calls.find(([url]) => url === '/api/auth/me');
    expect(meCall[1].headers.Authorization).toBe('Bearer tok-1');
  });

  it('shows the database as unavailable when health answers 503', async () => {
    mockFetch({
      'GET /api/auth/me': { body: ME },
      'GET /api/health': { status: 503, body: { ...HEALTHY, status: 'degraded', database: 'unavailable' } },
    });
    renderDashboard();
    await waitFor(() => expect(screen.getByTestId('database-health')).toHaveTextContent('unavailable'));
    expect(screen.getByTestId('backend-health')).toHaveTextContent('ok');
    expect(screen.getByTestId('release-id')).toHaveTextContent('20261129T193000Z-abc1234');
  });

  it('shows the backend as unreachable when nothing answers', async () => {
    mockFetch({ 'GET /api/auth/me': new TypeError('Failed to fetch'), 'GET /api/health': { status: 502 } });
    renderDashboard();
    await waitFor(() => expect(screen.getByTestId('backend-health')).toHaveTextContent('unreachable'));
    expect(screen.getByTestId('database-health')).toHaveTextContent('unreachable');
    expect(screen.getByRole('alert')).toHaveTextContent('could not be loaded');
    expect(screen.getByText(/Release unknown/)).toBeInTheDocument();
  });

  it('reports an expired session', async () => {
    mockFetch({ 'GET /api/auth/me': { status: 401, body: { detail: 'invalid, expired or revoked token' } }, 'GET /api/health': { body: HEALTHY } });
    const onExpired = vi.fn();
    renderDashboard({ onExpired });
    await waitFor(() => expect(onExpired).toHaveBeenCalledTimes(1));
  });

  it('signs out through the API', async () => {
    const fetch = mockFetch({
      'GET /api/auth/me': { body: ME },
      'GET /api/health': { body: HEALTHY },
      'POST /api/auth/logout': { status: 204 },
    });
    const onSignedOut = vi.fn();
    const user = userEvent.setup();
    renderDashboard({ onSignedOut });
    await screen.findByTestId('user-email');
    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    await waitFor(() => expect(onSignedOut).toHaveBeenCalledTimes(1));
    const logout = fetch.mock.calls.find(([url]) => url === '/api/auth/logout');
    expect(logout[1].headers.Authorization).toBe('Bearer tok-1');
  });
});

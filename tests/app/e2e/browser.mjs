// Headless Chromium (Debian's, through playwright-core) walks the app through
// the edge nginx: sign up, sign in, the dashboard with the release id, a
// reload on /dashboard, sign out. One "ok - " / "not ok - " line per step and
// a screenshot of every page in $E2E_ARTIFACTS.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.E2E_BASE_URL;
const release = process.env.E2E_RELEASE_ID;
const artifacts = process.env.E2E_ARTIFACTS;
if (!base || !release || !artifacts) {
  console.error('E2E_BASE_URL, E2E_RELEASE_ID and E2E_ARTIFACTS must be set');
  process.exit(2);
}
const profile = process.env.E2E_PROFILE || mkdtempSync(join(tmpdir(), 'craftctl-chromium-'));

const suffix = `${Date.now()}${Math.floor(Math.random() * 1000)}`;
const email = `e2e.${suffix}@example.com`;
const username = `e2e_${suffix}`;
// Nothing in common with the email or username (Django's similarity check).
const password = `Harbour-lantern-${Math.random().toString(36).slice(2, 8).replace(/\d/g, 'q')}`;

let failures = 0;
const consoleErrors = [];

async function step(name, fn) {
  try {
    await fn();
    console.log(`ok - ${name}`);
  } catch (error) {
    failures += 1;
    console.log(`not ok - ${name}`);
    console.log(`  ${String(error && error.message ? error.message : error).split('\n').join('\n  ')}`);
  }
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
  viewport: { width: 1100, height: 760 },
});
context.setDefaultTimeout(15000);
const page = context.pages()[0] || (await context.newPage());
// The steps that expect a 400 or 401 make the browser log the failed request;
// anything else is a defect.
page.on('console', (msg) => {
  const text = msg.text();
  if (msg.type() === 'error' && !/status of (400|401) /.test(text)) consoleErrors.push(text);
});
page.on('pageerror', (error) => consoleErrors.push(String(error)));
const shot = (name) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });

let token = null;
try {
  await step('the app loads at / and sends a visitor to sign-in', async () => {
    await page.goto(`${base}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(new URL(page.url()).pathname === '/signin', `at ${page.url()}`);
  });

  await step('sign-up form shows validation errors', async () => {
    await page.goto(`${base}/signup`);
    await page.getByRole('heading', { name: 'Create an account' }).waitFor();
    await page.getByLabel('Email').fill('not-an-email');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByText('Enter a valid email address.').waitFor();
    await shot('01-signup-errors');
  });

  await step("sign-up shows the API's password error", async () => {
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password', { exact: true }).fill('password');
    await page.getByLabel('Confirm password').fill('password');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByText('This password is too common.').waitFor();
  });

  await step('sign up', async () => {
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByLabel('Confirm password').fill(password);
    await shot('02-signup');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByText('Account created. Sign in to continue.').waitFor();
    expect(new URL(page.url()).pathname === '/signin', `at ${page.url()}`);
    expect((await page.getByLabel('Email').inputValue()) === email, 'email not carried over');
  });

  await step('wrong password is refused', async () => {
    await page.getByLabel('Password', { exact: true }).fill('not-the-password-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Wrong email or password.').waitFor();
  });

  await step('sign in', async () => {
    await page.getByLabel('Password', { exact: true }).fill(password);
    await shot('03-signin');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    expect(new URL(page.url()).pathname === '/dashboard', `at ${page.url()}`);
  });

  await step('dashboard shows the user, the release id and healthy services', async () => {
    await page.getByTestId('user-email').getByText(email).waitFor();
    const shown = (await page.getByTestId('release-id').textContent()).trim();
    expect(shown === release, `release id shown: ${JSON.stringify(shown)}, expected ${release}`);
    await page.getByTestId('database-health').getByText('ok', { exact: true }).waitFor();
    await page.getByTestId('backend-health').getByText('ok', { exact: true }).waitFor();
    const releasedAt = (await page.getByTestId('released-at').textContent()).trim();
    expect(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/.test(releasedAt), `released at: ${releasedAt}`);
    await shot('04-dashboard');
  });

  await step('reloading /dashboard keeps the session (SPA fallback through nginx)', async () => {
    token = await page.evaluate(() => window.localStorage.getItem('craftctl.token'));
    expect(token && token.length >= 40, 'no token in localStorage');
    await page.reload();
    await page.getByTestId('release-id').getByText(release).waitFor();
  });

  await step('sign out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You are signed out.').waitFor();
    expect(new URL(page.url()).pathname === '/signin', `at ${page.url()}`);
    const left = await page.evaluate(() => window.localStorage.getItem('craftctl.token'));
    expect(left === null, 'token still stored');
    await shot('05-signed-out');
  });

  await step('the signed-out token is revoked on the server', async () => {
    expect(token, 'no token was captured while signed in');
    const answer = await page.evaluate(async (t) => {
      const r = await fetch('/api/auth/me', { headers: { Authorization: `Bearer ${t}` } });
      return r.status;
    }, token);
    expect(answer === 401, `GET /api/auth/me with the old token answered ${answer}`);
  });

  await step('the admin login page renders with its styles', async () => {
    await page.goto(`${base}/admin/login/`);
    await page.getByText('Django administration').first().waitFor();
    const color = await page.evaluate(() => getComputedStyle(document.querySelector('#header')).backgroundColor);
    expect(color && color !== 'rgba(0, 0, 0, 0)', `admin header unstyled (${color})`);
    await shot('06-admin-login');
  });

  await step('an admin signs in to /admin/ through nginx (session + CSRF)', async () => {
    await page.getByLabel('Username:').fill('e2e-admin');
    await page.getByLabel('Password:').fill(process.env.E2E_ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('Site administration').waitFor();
    await page.getByRole('link', { name: 'Tokens' }).click();
    await page.getByText(username).first().waitFor();
    await shot('07-admin-tokens');
  });

  await step('no errors in the browser console', async () => {
    expect(consoleErrors.length === 0, consoleErrors.join('\n'));
  });
} finally {
  await context.close();
  if (!process.env.E2E_PROFILE) rmSync(profile, { recursive: true, force: true });
}
process.exit(failures === 0 ? 0 : 1);

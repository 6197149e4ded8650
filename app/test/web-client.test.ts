import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDebianPackage, findCommand, repoRoot, type RunningBalancer } from '@micropost/infra';
import { waitFor } from '@micropost/testing';
import { liveSubscriptions, type ServerProcess, startTwoServers, type TwoServers } from './server-process.ts';

// The web client end to end in a real headless Chromium (Debian's package; no browser download),
// against two server processes and the balancer: one person on server A, the other on server B.
// CHROMIUM_PATH picks another build of Chromium; otherwise Debian's package, installed when missing.
const CHROMIUM_PATH = process.env.CHROMIUM_PATH;
const SCREENSHOTS = join(repoRoot, 'web', 'test-results');

let servers: TwoServers;
let a: ServerProcess;
let b: ServerProcess;
let balancer: RunningBalancer;
let browser: Browser;
const contexts: BrowserContext[] = [];
/** Every host a page asked for: the app must load nothing from anywhere else. */
const requestedHosts = new Set<string>();
const pageErrors: string[] = [];

beforeAll(async () => {
  // `npm test` builds the client first; a targeted run builds it here when it is stale.
  const build = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', "(await import('./scripts/build-web.mjs')).buildWebIfStale()"],
    { cwd: repoRoot, stdio: 'inherit' },
  );
  if (build.status !== 0) throw new Error('the web client did not build');
  mkdirSync(SCREENSHOTS, { recursive: true });
  if (!CHROMIUM_PATH)
    await ensureDebianPackage({
      command: 'chromium',
      pkg: 'chromium',
      howToProvide: 'Install Chromium (Debian/Ubuntu: `apt-get install -y chromium`) or set CHROMIUM_PATH.',
    });
  const executablePath = CHROMIUM_PATH ?? findCommand('chromium')!;
  servers = await startTwoServers({ balancer: true });
  ({ a, b } = servers);
  balancer = servers.balancer!;
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}, 600_000); // a first run may install Chromium
afterAll(async () => {
  await Promise.all(contexts.map((context) => context.close()));
  await browser?.close();
  await servers?.stop();
});

// Expressions evaluated in the page (strings: this file is typed without the DOM library).
const SESSION = "localStorage.getItem('micropost.session')";

const origin = (server: ServerProcess | RunningBalancer) => `http://127.0.0.1:${server.port}`;

async function openPage(
  server: ServerProcess | RunningBalancer,
  viewport = { width: 900, height: 900 },
): Promise<Page> {
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('request', (request) => requestedHosts.add(new URL(request.url()).hostname));
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${origin(server)}/`);
  return page;
}

async function signUp(page: Page, handle: string, displayName: string, { refused = false } = {}) {
  const toSignUp = page.getByRole('button', { name: 'Create an account' });
  if (await toSignUp.isVisible()) await toSignUp.click();
  await page.getByLabel('Handle').fill(handle);
  await page.getByLabel('Display name').fill(displayName);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign up', exact: true }).click();
  if (refused) {
    expect(await page.getByRole('alert').textContent()).toMatch(/handle/i);
    return;
  }
  await page.getByRole('heading', { name: 'Home' }).waitFor();
  await page.getByRole('status', { name: 'Connection: Live' }).waitFor();
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

describe('the web client', () => {
  it('is served at / by every router and the balancer, with client routes and cacheable assets', async () => {
    for (const base of [origin(a), origin(b), `http://127.0.0.1:${balancer.port}`]) {
      for (const path of ['/', '/@alice', '/search?q=x']) {
        const response = await fetch(base + path);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
        expect(response.headers.get('cache-control')).toBe('no-cache');
      }
    }
    const html = await (await fetch(`${origin(a)}/`)).text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(origin(a) + script);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${origin(a)}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${origin(a)}/health`)).headers.get('content-type')).toBe('application/json');
    // Sandbox stays on GET /graphql.
    const sandbox = await fetch(`${origin(a)}/graphql`, { headers: { accept: 'text/html' } });
    expect(await sandbox.text()).toContain('sandbox');
  });

  it('shows a post to a follower on the other server live, and the like to its author', async () => {
    // User 1 on server A, user 2 on server B (each page on its server's own port).
    const alice = await openPage(a);
    await shot(alice, 'login');
    await signUp(alice, 'web_alice', 'Alice Web');

    const bob = await openPage(b);
    // A refused handle (BAD_USER_INPUT) is explained on the form, in the server's words.
    await signUp(bob, 'bob web!', 'Bob Web', { refused: true });
    await signUp(bob, 'web_bob', 'Bob Web');
    await bob.getByRole('link', { name: 'Search' }).click();
    await bob.getByRole('searchbox', { name: 'Search people and posts' }).fill('web_al');
    await bob.getByRole('button', { name: 'Search', exact: true }).click();
    const follow = bob.getByRole('button', { name: 'Follow @web_alice' });
    await follow.click();
    await bob.getByRole('button', { name: 'Unfollow @web_alice' }).waitFor();
    await shot(bob, 'search');
    expect(await bob.getByRole('button', { name: 'Unfollow @web_alice' }).getAttribute('aria-pressed')).toBe('true');

    // Bob's home feed is open (its feedUpdated subscription registered on B) before Alice posts.
    const before = await liveSubscriptions(b);
    await bob.getByRole('link', { name: 'Home', exact: true }).click();
    await bob.getByRole('heading', { name: 'Home' }).waitFor();
    await waitFor(async () => (await liveSubscriptions(b)) > before, {
      message: "Bob's feed subscription never reached server B",
    });

    // The follow reached Alice live, on the other server.
    await alice.getByRole('link', { name: 'Notifications, 1 unread' }).waitFor();

    const body = 'Hello from server A! Live in the browser, #webclient';
    await alice.getByRole('textbox', { name: "What's happening?" }).fill(body);
    await alice.getByText(`${280 - body.length} characters left`).waitFor();
    const postedAt = performance.now();
    await alice.getByRole('button', { name: 'Post', exact: true }).click();
    const bobsPost = bob.getByRole('article', { name: 'Post by @web_alice' }).filter({ hasText: body });
    await bobsPost.waitFor({ timeout: 2_000 });
    const lagMs = performance.now() - postedAt;
    console.log(`post visible in the follower's open feed on the other server after ${lagMs.toFixed(0)} ms`);
    expect(lagMs).toBeLessThan(2_000);
    expect(await bob.getByRole('link', { name: '#webclient' }).count()).toBe(1);

    // With the keyboard: focus the button, press Enter.
    await bobsPost.getByRole('button', { name: 'Like' }).focus();
    await bob.keyboard.press('Enter');
    await bobsPost.getByRole('button', { name: 'Unlike' }).waitFor();
    expect(await bobsPost.getByText('1 like', { exact: true }).count()).toBe(1);
    await shot(bob, 'home');
    // Phone-sized: everything fits the width (no sideways scrolling).
    await bob.setViewportSize({ width: 390, height: 844 });
    expect(await bob.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shot(bob, 'home-phone');

    // Alice, on server A, sees the notification and the count change without a reload.
    await alice.getByRole('link', { name: 'Notifications, 2 unread' }).waitFor();
    const alicesPost = alice.getByRole('article', { name: 'Post by @web_alice' }).filter({ hasText: body });
    await alicesPost.getByText('1 like', { exact: true }).waitFor();
    await shot(alice, 'home-liked');
    await alice.getByRole('link', { name: 'Notifications, 2 unread' }).click();
    await alice.getByRole('listitem').filter({ hasText: 'liked your post' }).waitFor();
    await alice.getByRole('listitem').filter({ hasText: 'followed you' }).waitFor();
    await alice.getByRole('link', { name: 'Notifications', exact: true }).waitFor();
    await shot(alice, 'notifications');

    await alice.getByRole('link', { name: 'Profile' }).click();
    await alice.getByRole('heading', { name: /Alice Web/ }).waitFor();
    await alice.getByRole('link', { name: '1 followers' }).waitFor();
    await shot(alice, 'profile');

    // Alice deletes it from her profile: it leaves Bob's open feed on server B without a reload.
    const onProfile = alice.getByRole('article').filter({ hasText: body });
    await onProfile.getByRole('button', { name: 'Delete' }).click();
    await onProfile.waitFor({ state: 'detached' });
    await bobsPost.waitFor({ state: 'detached', timeout: 5_000 });

    expect(pageErrors).toEqual([]);
    expect([...requestedHosts]).toEqual(['127.0.0.1']);
  }, 120_000);
  it('sends someone whose token is no longer valid back to log in, saying why', async () => {
    const page = await openPage(a);
    const forged = JSON.stringify({ token: 'forged', userId: 'x', handle: 'ghost' });
    await page.evaluate(`localStorage.setItem('micropost.session', ${JSON.stringify(forged)})`);
    await page.reload();
    await page.getByRole('status').filter({ hasText: 'Your session has ended. Please log in again.' }).waitFor();
    await page.getByRole('button', { name: 'Log in', exact: true }).waitFor();
    expect(await page.evaluate(SESSION)).toBeNull();
  });

  // Last: it kills a server.
  it('shows that it is reconnecting when its server dies, then catches up through the balancer', async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    await waitFor(async () => (await liveSubscriptions(a)) + (await liveSubscriptions(b)) === 0, {
      message: 'the closed pages still hold subscriptions',
    });
    const carol = await openPage(balancer);
    await signUp(carol, 'web_carol', 'Carol Web');
    const [onA, onB] = [await liveSubscriptions(a), await liveSubscriptions(b)];
    expect(onA + onB).toBeGreaterThan(0);
    const [dying, surviving] = onA > 0 ? [a, b] : [b, a];

    await dying.kill();
    await carol.getByRole('status', { name: 'Connection: Reconnecting…' }).waitFor();
    // Written while Carol's socket was down (or reconnecting): she must still see it, without a reload.
    const { token } = JSON.parse(await carol.evaluate<string>(SESSION));
    const created = await fetch(`${origin(surviving)}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: 'mutation { createPost(body: "Written during the outage") { id } }' }),
    });
    expect(((await created.json()) as { errors?: unknown }).errors).toBeUndefined();
    await carol.getByRole('status', { name: 'Connection: Live' }).waitFor({ timeout: 20_000 });
    await carol.getByRole('article').filter({ hasText: 'Written during the outage' }).waitFor({ timeout: 10_000 });
    expect(await liveSubscriptions(surviving)).toBeGreaterThan(0);
  }, 90_000);
});

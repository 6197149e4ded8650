import http from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '@micropost/server';
import { serveStaticFiles } from '../src/static-files.ts';

// The web client's file serving on its own: a fake build in a temporary folder, and a `next`
// listener standing for GraphQL.
let root: string;
let server: http.Server;
let base: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'micropost-web-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(join(root, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(join(root, '..', 'secret.txt'), 'not for clients');
  server = http.createServer(
    serveStaticFiles(root, (request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ next: request.url }));
    }),
  );
  base = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(root, { recursive: true, force: true });
  rmSync(join(root, '..', 'secret.txt'), { force: true });
});

describe('serveStaticFiles', () => {
  it('serves index.html at / and for client routes, revalidated, with a content security policy', async () => {
    for (const path of ['/', '/@alice', '/@alice/followers', '/search?q=%23tag']) {
      const response = await fetch(base + path);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(await response.text()).toContain('<title>app</title>');
    }
  });

  it('serves hashed assets as immutable, and a missing file as 404 rather than the app', async () => {
    const asset = await fetch(`${base}/assets/index-abc123.js`);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await asset.text()).toBe('console.log(1)');
    expect((await fetch(`${base}/assets/missing.js`)).status).toBe(404);
    const head = await fetch(`${base}/assets/index-abc123.js`, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe('14');
  });

  it('never serves a file outside its folder', async () => {
    // %2f is not a separator to URL parsers, so these reach the server as written; decoded, they climb.
    for (const path of ['/..%2fsecret.txt', '/assets/..%2f..%2fsecret.txt', '/%2e%2e%2fsecret.txt']) {
      const response = await fetch(base + path);
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain('not for clients');
    }
  });

  it('leaves GraphQL, /health, /ready and non-GET requests to the server', async () => {
    for (const path of ['/graphql', '/health', '/ready'])
      expect(await (await fetch(base + path)).json()).toEqual({ next: path });
    const post = await fetch(`${base}/`, { method: 'POST', body: '{}' });
    expect(await post.json()).toEqual({ next: '/' });
  });

  it('passes everything on when there is no build', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'micropost-web-empty-'));
    const bare = http.createServer(
      serveStaticFiles(empty, (_request, response) => void response.writeHead(404).end('graphql only')),
    );
    const url = `http://127.0.0.1:${await listen(bare, 0, '127.0.0.1')}/`;
    try {
      expect(await (await fetch(url)).text()).toBe('graphql only');
    } finally {
      await new Promise((resolve) => bare.close(resolve));
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

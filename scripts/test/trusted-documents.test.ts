import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTrustedDocuments, sha256 } from '@micropost/router/trusted-documents';
import { webClientManifest } from '../trusted-documents.ts';

describe('npm run trusted-documents', () => {
  it('lists every operation of the web client, by the sha256 of its text, as the router loads it', () => {
    const manifest = webClientManifest();
    const source = readFileSync(new URL('../../web/src/operations.ts', import.meta.url), 'utf8');
    const names = [...source.matchAll(/^\s*(?:query|mutation|subscription) (\w+)/gm)].map((match) => match[1]).sort();
    expect(names.length).toBeGreaterThan(10);
    const listed = Object.values(manifest)
      .map((text) => /^(?:query|mutation|subscription) (\w+)/.exec(text)?.[1])
      .sort();
    expect(listed).toEqual(names);
    for (const [hash, text] of Object.entries(manifest)) expect(hash).toBe(sha256(text));

    const dir = mkdtempSync(join(tmpdir(), 'micropost-trusted-'));
    try {
      writeFileSync(join(dir, 'trusted.json'), JSON.stringify(manifest));
      expect(loadTrustedDocuments(join(dir, 'trusted.json')).byHash.size).toBe(names.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

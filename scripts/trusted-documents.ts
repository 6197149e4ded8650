// `npm run trusted-documents -- <file>` (default: stdout): the web client's operations
// (web/src/operations.ts, as codegen typed them in web/src/gql/graphql.ts) as the manifest
// TRUSTED_DOCUMENTS reads. Here, not in router/: the router knows no client.
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Kind, print, type DocumentNode } from 'graphql';
import { sha256 } from '@micropost/router/trusted-documents';
import * as generated from '../web/src/gql/graphql.ts';

/** `{ "<sha256 of the text>": "<text>" }` for every operation the web client sends. */
export function webClientManifest(): Record<string, string> {
  const manifest: Record<string, string> = {};
  for (const value of Object.values(generated) as unknown[]) {
    const document = value as DocumentNode;
    if (document?.kind !== Kind.DOCUMENT) continue;
    if (!document.definitions.some((definition) => definition.kind === Kind.OPERATION_DEFINITION)) continue;
    const text = print(document);
    manifest[sha256(text)] = text;
  }
  return manifest;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const json = `${JSON.stringify(webClientManifest(), null, 2)}\n`;
  if (process.argv[2]) writeFileSync(process.argv[2], json);
  else process.stdout.write(json);
}

// Writes the web client's operations (web/src/operations.ts, as codegen typed them in
// web/src/gql/graphql.ts) as a trusted-documents manifest for TRUSTED_DOCUMENTS:
// `npm run trusted-documents -w @micropost/router -- <file>` (default: stdout).
import { writeFileSync } from 'node:fs';
import { Kind, print, type DocumentNode } from 'graphql';
import * as generated from '../../web/src/gql/graphql.ts';
import { sha256 } from '../src/trusted-documents.ts';

const manifest: Record<string, string> = {};
for (const value of Object.values(generated) as unknown[]) {
  const document = value as DocumentNode;
  if (document?.kind !== Kind.DOCUMENT) continue;
  if (!document.definitions.some((definition) => definition.kind === Kind.OPERATION_DEFINITION)) continue;
  const text = print(document);
  manifest[sha256(text)] = text;
}
const json = `${JSON.stringify(manifest, null, 2)}\n`;
if (process.argv[2]) writeFileSync(process.argv[2], json);
else process.stdout.write(json);

import { readFileSync } from 'node:fs';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';

// Kept apart from helpers.ts: the router module mock loads this, and must not load the router itself.

const repoRoot = new URL('../../../', import.meta.url);

/**
 * The supergraph the test router serves. The checked-in schema/supergraph.graphql is used when it
 * already has `rootFields`; until `npm run generate` includes search, the test composes the named
 * subgraphs itself (test files mock the router's `readSupergraph` with this).
 */
export function supergraphFor(checkedIn: string, names: readonly string[], rootFields: readonly string[]): string {
  if (rootFields.every((field) => new RegExp(`\\b${field}\\(`).test(checkedIn))) return checkedIn;
  const result = composeServices(
    names.map((name, i) => ({
      name,
      url: `http://127.0.0.1:${4101 + i}/graphql`,
      typeDefs: parse(readFileSync(new URL(`subgraphs/${name}/schema.graphql`, repoRoot), 'utf8')),
    })),
  );
  if (result.errors) throw new Error(`composition failed: ${result.errors.map((error) => error.message).join('; ')}`);
  return result.supergraphSdl;
}


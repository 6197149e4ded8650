import { describe, expect, it } from 'vitest';
import { composeSupergraph, readSupergraph } from '../src/compose.ts';

describe('schema/supergraph.graphql', () => {
  it('is what composing the subgraph schemas gives today (run `npm run generate` when it is not)', () => {
    expect(readSupergraph()).toBe(composeSupergraph());
  });
});

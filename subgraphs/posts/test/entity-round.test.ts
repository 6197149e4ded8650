import DataLoader from 'dataloader';
import { Kind, parse, type FieldNode, type GraphQLResolveInfo, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { resolvers } from '../src/resolvers.ts';

/** The `info` of an `_entities` field whose selection is `selection`, as the gateway sends it. */
function entitiesInfo(selection: string): GraphQLResolveInfo {
  const document = parse(
    `query($r: [_Any!]!) { _entities(representations: $r) { ${selection} } } fragment F on Post { viewerHasLiked }`,
  );
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  )!;
  const fragments = Object.fromEntries(
    document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d]] : [])),
  );
  return {
    fieldNodes: [operation.selectionSet.selections[0] as FieldNode],
    fragments,
  } as unknown as GraphQLResolveInfo;
}

/** Resolves three Post references while the posts read is held open; returns the batches that started meanwhile. */
async function batchesDuringPostRead(selection: string, viewer: { userId: string } | null) {
  const started: string[] = [];
  let release!: () => void;
  const postsHeld = new Promise<void>((resolve) => (release = resolve));
  const context = {
    viewer,
    postById: new DataLoader<string, null>(async (ids) => {
      started.push('posts');
      await postsHeld;
      return ids.map(() => null);
    }),
    viewerLikes: new DataLoader<string, boolean>(async (ids) => {
      started.push('likes');
      return ids.map(() => false);
    }),
  };
  const resolve = (resolvers.Post as any).__resolveReference;
  const info = entitiesInfo(selection);
  const pending = ['a', 'b', 'c'].map((id) => resolve({ id }, context, info));
  await new Promise((resolve) => setImmediate(resolve));
  const during = [...started];
  release();
  await Promise.all(pending);
  return during;
}

describe('Post entities: the viewer likes are read in the same round as the posts', () => {
  it('starts the likes batch while the posts batch is still running when viewerHasLiked is asked for', async () => {
    expect((await batchesDuringPostRead('... on Post { body viewerHasLiked }', { userId: 'u' })).sort()).toEqual([
      'likes',
      'posts',
    ]);
    expect((await batchesDuringPostRead('... on Post { body ...F }', { userId: 'u' })).sort()).toEqual([
      'likes',
      'posts',
    ]);
  });

  it('reads no likes when the selection lacks viewerHasLiked or nobody is signed in', async () => {
    expect(await batchesDuringPostRead('... on Post { body likeCount }', { userId: 'u' })).toEqual(['posts']);
    expect(await batchesDuringPostRead('... on Post { body viewerHasLiked }', null)).toEqual(['posts']);
  });
});

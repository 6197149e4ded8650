import { parseObjectId, type ObjectId } from '@micropost/mongo';
import {
  BadUserInputError,
  DateTimeScalar,
  ForbiddenError,
  NotFoundError,
  readPage,
  requireViewer,
  toConnection,
} from '@micropost/server';
import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import type { Resolvers } from './__generated__/resolvers-types.ts';
import type { PostsContext } from './context.ts';
import type { PostDocument } from './post-store.ts';
import { requirePostBody } from './post-rules.ts';

function requirePostId(id: string): ObjectId {
  const postId = parseObjectId(id);
  if (postId === null) throw new BadUserInputError('That is not a post id.');
  return postId;
}

/** The live post named by a mutation's argument: BAD_USER_INPUT when malformed, NOT_FOUND when unknown or deleted. */
async function requirePost(context: PostsContext, id: string): Promise<PostDocument> {
  requirePostId(id);
  const post = await context.postById.load(id);
  if (!post) throw new NotFoundError('There is no such post.');
  return post;
}

/** Whether the selection under the field being resolved names `field` (through fragments too). */
function selects(info: GraphQLResolveInfo, field: string): boolean {
  const within = (set: SelectionSetNode | undefined): boolean =>
    set?.selections.some((selection) => {
      if (selection.kind === Kind.FIELD) return selection.name.value === field;
      if (selection.kind === Kind.INLINE_FRAGMENT) return within(selection.selectionSet);
      return within(info.fragments[selection.name.value]?.selectionSet);
    }) ?? false;
  return info.fieldNodes.some((node) => within(node.selectionSet));
}

/** After a write, later loads in this request see the written post. */
function remember(context: PostsContext, post: PostDocument): PostDocument {
  context.postById.clear(post._id.toHexString()).prime(post._id.toHexString(), post);
  return post;
}

export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,

  Query: {
    post: (_parent, { id }, context) => context.postById.load(id),
  },

  Mutation: {
    createPost: async (_parent, { body }, context) => {
      const authorId = requireViewer(context);
      const post = await context.posts.create(authorId, requirePostBody(body), context.requestId);
      context.logger.info({ postId: post._id.toHexString() }, 'post created');
      return remember(context, post);
    },

    deletePost: async (_parent, { id }, context) => {
      const viewerId = requireViewer(context);
      const post = await requirePost(context, id);
      if (post.authorId !== viewerId) throw new ForbiddenError('Only its author may delete a post.');
      // False: a concurrent request deleted it first.
      if (!(await context.posts.tombstone(post, context.requestId))) throw new NotFoundError('There is no such post.');
      await context.likes.removeForPost(post._id);
      context.postById.clear(id);
      context.logger.info({ postId: post._id.toHexString() }, 'post deleted');
      return post._id.toHexString();
    },

    likePost: async (_parent, { postId }, context) => {
      const viewerId = requireViewer(context);
      const post = await requirePost(context, postId);
      return remember(context, await context.likes.like(post, viewerId, context.requestId));
    },

    unlikePost: async (_parent, { postId }, context) => {
      const viewerId = requireViewer(context);
      const post = await requirePost(context, postId);
      return remember(context, await context.likes.unlike(post, viewerId, context.requestId));
    },
  },

  Post: {
    __resolveReference: (reference, context, info) => {
      // Read the viewer's likes in the same round as the posts, not in one after them: homeFeed
      // asks for both, and the likes query needs only the post ids it already has.
      if (context.viewer && selects(info, 'viewerHasLiked'))
        context.viewerLikes.load(reference.id).catch(() => undefined); // viewerHasLiked reports any error
      return context.postById.load(reference.id);
    },
    id: (post) => post._id.toHexString(),
    author: (post) => ({ id: post.authorId }),
    likeCount: (post) => post.likeCount,
    viewerHasLiked: (post, _args, context) => context.viewerLikes.load(post._id.toHexString()),
  },

  User: {
    // An entity stub: the users subgraph owns the user; this one only needs the id.
    __resolveReference: (reference) => ({ id: reference.id }),
    posts: async (user, args, context) => {
      const page = readPage(args);
      const items = await context.postPages.load({ parentId: user.id, page });
      for (const post of items) context.postById.prime(post._id.toHexString(), post);
      return toConnection(items, page, (post) => ({ at: post.createdAt, id: post._id.toHexString() }));
    },
    postCount: (user, _args, context) => context.postCountByAuthor.load(user.id),
  },
};

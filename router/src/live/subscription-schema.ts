import {
  buildASTSchema,
  GraphQLObjectType,
  parse,
  printSchema,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from 'graphql';
import type { Identity } from '@micropost/auth';
import { CursorExpiredError, requireViewer } from '@micropost/server';
import { decodeCursor, type Cursor } from './cursor.ts';
import { readHydratedField, type HydrationScope } from './hydrator.ts';
import { EVERY_AUTHOR, type LiveChannel, type LivePayload } from './live-channels.ts';
import type { LiveHub } from './live-hub.ts';

/** What the hub hands each subscriber: the event's payload and the hydration it shares with others. */
export interface LiveItem {
  /** The resume point of the event this item came from. */
  readonly cursor: string;
  /** Its position in the stream, and its id: a resuming subscription dedupes by both. */
  readonly offset: number;
  readonly eventId: string;
  readonly payload: LivePayload;
  readonly scope: HydrationScope;
}

export interface LiveContext {
  readonly viewer: Identity | null;
  readonly hub: LiveHub<LiveItem>;
  /** Replays the stream after `cursor` for `channel`, then continues live; absent: nothing is retained. */
  readonly resume?: (channel: LiveChannel, cursor: Cursor) => Promise<AsyncIterableIterator<LiveItem>>;
}

const SIGN_IN_TO_SUBSCRIBE = 'Sign in to subscribe: send connectionParams { authorization: "Bearer <token>" }.';

// `_type` picks the payload's type at compile time; at run time the channel already decided it.
const payloadOf = <T extends LivePayload['type']>(item: LiveItem, _type: T) =>
  item.payload as Extract<LivePayload, { type: T }>;

/** Resolves an entity the event names by hydrating the subscriber's own selection through the gateway. */
const hydrate = (
  item: LiveItem,
  root: 'post' | 'user',
  id: string | null,
  info: GraphQLResolveInfo,
  context: LiveContext,
) => (id === null ? null : item.scope.load(root, id, info, context.viewer));

/** Opens the subscription on `channel`, resuming after `after` when given (a malformed cursor: BAD_USER_INPUT). */
function open(context: LiveContext, channel: LiveChannel, after: string | null | undefined) {
  if (after === undefined || after === null) return context.hub.subscribe(channel);
  const cursor = decodeCursor(after);
  if (!context.resume) throw new CursorExpiredError();
  return context.resume(channel, cursor);
}

type FieldResolvers = Record<
  string,
  | GraphQLFieldResolver<any, LiveContext, any>
  | { subscribe: GraphQLFieldResolver<any, LiveContext, any>; resolve: GraphQLFieldResolver<any, LiveContext, any> }
>;

const resolvers: Record<string, FieldResolvers> = {
  Subscription: {
    feedUpdated: {
      subscribe: (_, { after }: { after?: string | null }, context) =>
        open(context, `feed:${requireViewer(context, SIGN_IN_TO_SUBSCRIBE)}`, after),
      resolve: (item: LiveItem) => item,
    },
    notificationReceived: {
      subscribe: (_, { after }: { after?: string | null }, context) =>
        open(context, `notifications:${requireViewer(context, SIGN_IN_TO_SUBSCRIBE)}`, after),
      resolve: (item: LiveItem) => item,
    },
    postActivity: {
      subscribe: (_, { postId, after }: { postId: string; after?: string | null }, context) =>
        open(context, `postActivity:${postId}`, after),
      resolve: (item: LiveItem) => item,
    },
    postCreated: {
      subscribe: (_, { authorId, after }: { authorId?: string | null; after?: string | null }, context) =>
        open(context, `postCreated:${authorId ?? EVERY_AUTHOR}`, after),
      resolve: (item: LiveItem, _, context, info) =>
        hydrate(item, 'post', payloadOf(item, 'postCreated').postId, info, context),
    },
  },
  FeedEvent: {
    cursor: (item: LiveItem) => item.cursor,
    kind: (item: LiveItem) => payloadOf(item, 'feed').kind,
    postId: (item: LiveItem) => payloadOf(item, 'feed').postId,
    post: (item: LiveItem, _, context, info) => {
      const { kind, postId } = payloadOf(item, 'feed');
      return kind === 'POST_REMOVED' ? null : hydrate(item, 'post', postId, info, context);
    },
  },
  Notification: {
    cursor: (item: LiveItem) => item.cursor,
    kind: (item: LiveItem) => payloadOf(item, 'notification').kind,
    occurredAt: (item: LiveItem) => payloadOf(item, 'notification').occurredAt,
    actor: (item: LiveItem, _, context, info) =>
      hydrate(item, 'user', payloadOf(item, 'notification').actorId, info, context),
    post: (item: LiveItem, _, context, info) =>
      hydrate(item, 'post', payloadOf(item, 'notification').postId, info, context),
  },
  PostActivity: {
    cursor: (item: LiveItem) => item.cursor,
    post: (item: LiveItem, _, context, info) =>
      hydrate(item, 'post', payloadOf(item, 'postActivity').postId, info, context),
  },
};

/**
 * A copy of the API schema (the gateway's stays untouched) with resolvers for the Subscription type
 * and the types only it returns: events come from the hub, entity fields from `HydrationScope`,
 * and every other field reads hydrated data by response key.
 */
export function subscriptionSchema(apiSchema: GraphQLSchema): GraphQLSchema {
  const schema = buildASTSchema(parse(printSchema(apiSchema)));
  for (const type of Object.values(schema.getTypeMap())) {
    if (!(type instanceof GraphQLObjectType) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const resolver = resolvers[type.name]?.[field.name];
      if (typeof resolver === 'function') field.resolve = resolver;
      else if (resolver) Object.assign(field, resolver);
      else field.resolve = readHydratedField;
    }
  }
  return schema;
}

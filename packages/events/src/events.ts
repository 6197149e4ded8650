import { z } from 'zod';

/**
 * Every domain event: its routing key and the zod schema of its `data`. This object is the single
 * source of truth — `EventMap` and validation are derived from it — so adding an event is one entry.
 * Data schemas accept (and strip) unknown keys, so a newer producer may add optional fields
 * without breaking older consumers.
 */
export const eventDataSchemas = {
  'user.registered': z.object({
    userId: z.string(),
    handle: z.string(),
    displayName: z.string(),
    createdAt: z.string(),
  }),
  'user.updated': z.object({
    userId: z.string(),
    handle: z.string(),
    displayName: z.string(),
    bio: z.string(),
    avatarUrl: z.string().nullable(),
    /** Increases with every change of this profile: consumers keep the highest they have seen. */
    revision: z.number().int().positive(),
  }),
  'post.created': z.object({ postId: z.string(), authorId: z.string(), body: z.string(), createdAt: z.string() }),
  'post.deleted': z.object({ postId: z.string(), authorId: z.string(), createdAt: z.string() }),
  /** `likeCount` is the post's count after this like; `authorId` is whom to notify. */
  'post.liked': z.object({
    postId: z.string(),
    authorId: z.string(),
    likerId: z.string(),
    likeCount: z.number().int().nonnegative(),
  }),
  'post.unliked': z.object({
    postId: z.string(),
    authorId: z.string(),
    likerId: z.string(),
    likeCount: z.number().int().nonnegative(),
  }),
  'follow.created': z.object({ followerId: z.string(), followeeId: z.string(), createdAt: z.string() }),
  'follow.deleted': z.object({ followerId: z.string(), followeeId: z.string() }),
  /**
   * Derived by feed after fan-out: these users' home feeds gained (`added`) or lost (`removed`) the
   * post. Large fan-outs are split into several events of at most 1,000 users each.
   */
  'feed.updated': z.object({
    kind: z.enum(['added', 'removed']),
    postId: z.string(),
    authorId: z.string(),
    userIds: z.array(z.string()).max(1000),
  }),
} satisfies Record<string, z.ZodType>;

type Schemas = typeof eventDataSchemas;

/** Event type → its data, e.g. `EventMap['user.registered']`. */
export interface EventMap extends InferMap<Schemas> {}
type InferMap<S extends Record<string, z.ZodType>> = { [K in keyof S]: z.infer<S[K]> };

/** A routing key, e.g. `'user.registered'`. */
export type EventType = keyof EventMap & string;
export type EventData<T extends EventType> = EventMap[T];

export function isEventType(value: string): value is EventType {
  return Object.hasOwn(eventDataSchemas, value);
}

/**
 * Schema version written into each envelope: 1 unless listed here. When an event's data changes
 * incompatibly, list it with its new version (and teach consumers the old shape); additive changes
 * keep the version.
 */
const versionOverrides: Partial<Record<EventType, number>> = {};

export function eventVersion(type: EventType): number {
  return versionOverrides[type] ?? 1;
}

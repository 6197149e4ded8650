import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import { z } from '@micropost/config';
import { defineSubgraph, PeriodicTask } from '@micropost/server';
import { createFeedContext } from './context.ts';
import { FeedEventLog } from './event-log.ts';
import { CLEANUP_INTERVAL_MS, FEED_BINDINGS, FeedProjector, TRIM_INTERVAL_MS } from './event-handlers.ts';
import { AuthorPostProjection, FollowerProjection } from './projections.ts';
import { resolvers } from './resolvers.ts';
import { TIMELINE_CAP, TimelineStore, TRIM_SLACK } from './timeline-store.ts';

/** Home timelines, built by fan-out on write from post and follow events; keeps post ids only. */
export const feedSubgraph = defineSubgraph({
  name: 'feed',
  typeDefs: parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8')),
  shardKeys: {
    ...TimelineStore.shardKeys,
    ...FollowerProjection.shardKeys,
    ...AuthorPostProjection.shardKeys,
    ...FeedEventLog.shardKeys,
  },
  env: {
    /** Entries kept per home timeline (and posts kept per author for backfills); default 800. */
    FEED_TIMELINE_CAP: z.coerce.number().int().min(1).max(10_000).default(TIMELINE_CAP),
    /** How far a timeline may grow past the cap before one trim takes it back; default 50. */
    FEED_TRIM_SLACK: z.coerce.number().int().min(1).max(10_000).default(TRIM_SLACK),
  },
  async setup({ db, env, outbox, logger }) {
    const cap = { cap: env.FEED_TIMELINE_CAP, slack: env.FEED_TRIM_SLACK };
    const timelines = await TimelineStore.open(db, cap);
    const log = await FeedEventLog.open(db);
    const projector = new FeedProjector({
      timelines,
      followers: await FollowerProjection.open(db),
      authorPosts: await AuthorPostProjection.open(db, cap),
      log,
      afterRelease: outbox.notify,
      logger: logger.child({ component: 'feed-projector' }),
    });
    return {
      resolvers,
      createContext: (request) => createFeedContext(request, timelines),
      outboxCollections: [log.outbox],
      // Durable shared quorum queue `feed.timelines` (dead letters in `feed.timelines.dlq`).
      consumers: [{ name: 'timelines', bindings: FEED_BINDINGS, handle: projector.handle }],
      background: [
        new PeriodicTask('feed-cleanup', CLEANUP_INTERVAL_MS, () => projector.cleanUp(), logger),
        new PeriodicTask('feed-trim', TRIM_INTERVAL_MS, () => timelines.trimPending(), logger),
      ],
    };
  },
});

/** The default export is what the app loads for this package's entry in subgraphs/registry.ts. */
export default feedSubgraph;

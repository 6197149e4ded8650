import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import { defineSubgraph } from '@micropost/server';
import { createFeedContext } from './context.ts';
import { FeedEventLog } from './event-log.ts';
import { FEED_BINDINGS, FeedProjector } from './event-handlers.ts';
import { AuthorPostProjection, FollowerProjection } from './projections.ts';
import { resolvers } from './resolvers.ts';
import { TimelineStore } from './timeline-store.ts';

/** Home timelines, built by fan-out on write from post and follow events; keeps post ids only. */
export const feedSubgraph = defineSubgraph({
  name: 'feed',
  typeDefs: parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8')),
  env: {},
  async setup({ db, outbox, logger }) {
    const timelines = await TimelineStore.open(db);
    const log = await FeedEventLog.open(db);
    const projector = new FeedProjector({
      timelines,
      followers: await FollowerProjection.open(db),
      authorPosts: await AuthorPostProjection.open(db),
      log,
      afterRelease: outbox.notify,
      logger: logger.child({ component: 'feed-projector' }),
    });
    return {
      resolvers,
      createContext: (request) => createFeedContext(request, timelines),
      outboxCollections: [log.records],
      // Durable shared quorum queue `feed.timelines` (dead letters in `feed.timelines.dlq`).
      consumers: [{ name: 'timelines', bindings: FEED_BINDINGS, handle: projector.handle }],
    };
  },
});

import type { TypedDocumentNode } from '@apollo/client';
import { useApolloClient, useQuery, useSubscription } from '@apollo/client/react';
import { parse, print } from 'graphql';
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { ConnectionStatus } from './apollo.ts';
import { addToHomeFeed, removePost } from './feed-cache.ts';
import type { FeedEventKind, PostFieldsFragment } from './gql/graphql.ts';
import { FeedUpdatedSubscription, PostFields } from './operations.ts';

// The home feed's live updates, and how a reconnect catches up. When the graph has resumable
// subscriptions (`FeedEvent.cursor`, `feedUpdated(after:)`: the contract's resume work), the feed
// subscribes again after the last cursor it received, so nothing is missed or repeated; until then
// (or when the cursor has expired) it refetches the first page. The resumable documents are plain
// `parse()` calls, out of codegen's sight, because the checked-in supergraph it validates against
// does not have those fields yet.

interface ResumableFeedEvent {
  readonly feedUpdated: {
    readonly cursor: string;
    readonly kind: FeedEventKind;
    readonly postId: string;
    readonly post: PostFieldsFragment | null;
  };
}

const FeedUpdatedAfter: TypedDocumentNode<ResumableFeedEvent, { after: string | null }> = parse(`
  subscription FeedUpdatedAfter($after: String) {
    feedUpdated(after: $after) {
      cursor
      kind
      postId
      post {
        ...PostFields
      }
    }
  }
  ${print(PostFields)}
`);

const FeedEventFields: TypedDocumentNode<{ __type: { fields: { name: string }[] | null } | null }> = parse(`
  query FeedEventFields {
    __type(name: "FeedEvent") {
      fields {
        name
      }
    }
  }
`);

/** True once the server's schema is known to support resuming the feed with a cursor. */
function useResumableFeed(): boolean | undefined {
  const { data, error } = useQuery(FeedEventFields, { fetchPolicy: 'cache-first' });
  if (error) return false;
  if (!data) return undefined;
  return data.__type?.fields?.some((field) => field.name === 'cursor') ?? false;
}

/** Keeps the cached home feed live; `refetchFirstPage` catches up when resuming is not possible. */
export function useLiveFeed(status: ConnectionStatus, refetchFirstPage: () => void): void {
  const client = useApolloClient();
  const resumable = useResumableFeed();
  const lastCursor = useRef<string | null>(null);
  const [after, setAfter] = useState<string | null>(null);

  const apply = (event: { kind: FeedEventKind; postId: string; post?: PostFieldsFragment | null }) => {
    if (event.kind === 'POST_ADDED' && event.post) addToHomeFeed(client.cache, event.post);
    if (event.kind === 'POST_REMOVED') removePost(client.cache, event.postId);
  };

  useSubscription(FeedUpdatedSubscription, {
    skip: resumable !== false,
    onData: ({ data }) => data.data && apply(data.data.feedUpdated),
  });
  useSubscription(FeedUpdatedAfter, {
    skip: resumable !== true,
    variables: { after },
    onData: ({ data }) => {
      if (!data.data) return;
      lastCursor.current = data.data.feedUpdated.cursor;
      apply(data.data.feedUpdated);
    },
    onError: (error) => {
      // CURSOR_EXPIRED: the history no longer reaches back that far; start over from the first page.
      const expired = (error as { errors?: { extensions?: { code?: unknown } }[] }).errors?.some(
        (e) => e.extensions?.code === 'CURSOR_EXPIRED',
      );
      if (!expired) return;
      lastCursor.current = null;
      setAfter(null);
      refetchFirstPage();
    },
  });

  const { reconnects } = useSyncExternalStore(status.subscribe, status.getSnapshot);
  const seenReconnects = useRef(reconnects);
  useEffect(() => {
    if (reconnects === seenReconnects.current) return;
    seenReconnects.current = reconnects;
    if (resumable && lastCursor.current) setAfter(lastCursor.current);
    else refetchFirstPage();
  }, [reconnects, resumable, refetchFirstPage]);
}

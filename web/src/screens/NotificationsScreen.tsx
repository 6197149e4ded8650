import { useEffect } from 'react';
import { Link, profilePath } from '../navigation.tsx';
import { type NotificationItem, useNotifications } from '../notifications.tsx';

function describe(item: NotificationItem): string {
  if (item.kind === 'NEW_FOLLOWER') return 'followed you';
  if (item.kind === 'LOST_FOLLOWER') return 'unfollowed you';
  return 'liked your post';
}

export function NotificationsScreen() {
  const { items, markAllRead, unread } = useNotifications();
  // Everything shown here counts as read, including what arrives while the page is open.
  useEffect(() => {
    if (unread > 0) markAllRead();
  }, [unread, markAllRead]);
  return (
    <main className="screen">
      <h1>Notifications</h1>
      {items.length === 0 && <p className="muted">Nothing yet. New followers and likes appear here as they happen.</p>}
      <ul className="notifications" aria-label="Notifications">
        {items.map((item) => (
          <li key={item.key}>
            <Link to={profilePath(item.actor.handle)}>
              <strong>{item.actor.displayName || item.actor.handle}</strong>
            </Link>{' '}
            {describe(item)}
            {item.post && (
              <>
                {' '}
                <q className="muted">{item.post.body}</q>
              </>
            )}{' '}
            <time className="muted" dateTime={item.occurredAt}>
              {new Date(item.occurredAt).toLocaleTimeString()}
            </time>
          </li>
        ))}
      </ul>
    </main>
  );
}

import { useSubscription } from '@apollo/client/react';
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';
import type { NotificationReceivedSubscription } from './gql/graphql.ts';
import { NotificationSubscription } from './operations.ts';

export type NotificationItem = NotificationReceivedSubscription['notificationReceived'] & { readonly key: number };

interface NotificationsValue {
  readonly items: readonly NotificationItem[];
  readonly unread: number;
  readonly markAllRead: () => void;
}

const NotificationsContext = createContext<NotificationsValue>({ items: [], unread: 0, markAllRead: () => {} });

/** Keeps the live notifications of this session (newest first) and how many are unread. */
export function NotificationsProvider({ children }: { children: ReactNode }) {
  const [items, setItems] = useState<NotificationItem[]>([]);
  const [unread, setUnread] = useState(0);
  useSubscription(NotificationSubscription, {
    onData: ({ data }) => {
      const notification = data.data?.notificationReceived;
      if (!notification) return;
      setItems((previous) => [{ ...notification, key: Date.now() + Math.random() }, ...previous].slice(0, 100));
      setUnread((count) => count + 1);
    },
  });
  const markAllRead = useCallback(() => setUnread(0), []);
  const value = useMemo(() => ({ items, unread, markAllRead }), [items, unread, markAllRead]);
  return <NotificationsContext.Provider value={value}>{children}</NotificationsContext.Provider>;
}

export const useNotifications = () => useContext(NotificationsContext);

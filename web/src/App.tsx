import { ApolloProvider } from '@apollo/client/react';
import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { type ConnectionStatus, createMicropostClient } from './apollo.ts';
import { Link, useLocation } from './navigation.tsx';
import { NotificationsProvider, useNotifications } from './notifications.tsx';
import { AuthScreen } from './screens/AuthScreen.tsx';
import { HomeScreen } from './screens/HomeScreen.tsx';
import { NotificationsScreen } from './screens/NotificationsScreen.tsx';
import { ProfileScreen } from './screens/ProfileScreen.tsx';
import { SearchScreen } from './screens/SearchScreen.tsx';
import { type Session, loadSession, saveSession } from './session.ts';
import { SessionContext } from './session-context.ts';

export function App() {
  const [session, setSession] = useState<Session | null>(loadSession);
  const [notice, setNotice] = useState<string | null>(null);
  const signIn = useCallback((next: Session) => {
    saveSession(next);
    setNotice(null);
    setSession(next);
  }, []);
  const signOut = useCallback((reason?: string) => {
    saveSession(null);
    setNotice(reason ?? null);
    setSession(null);
  }, []);
  const client = useMemo(
    () => createMicropostClient(session, () => signOut('Your session has ended. Please log in again.')),
    [session, signOut],
  );
  useEffect(() => () => client.dispose(), [client]);
  const context = useMemo(() => ({ session, signOut }), [session, signOut]);

  return (
    <ApolloProvider client={client.apollo}>
      <SessionContext.Provider value={context}>
        {session ? (
          <NotificationsProvider key={session.userId}>
            <Shell session={session} status={client.status} onSignOut={() => signOut()} />
          </NotificationsProvider>
        ) : (
          <AuthScreen notice={notice} onSignedIn={signIn} />
        )}
      </SessionContext.Provider>
    </ApolloProvider>
  );
}

function ConnectionBadge({ status }: { status: ConnectionStatus }) {
  const { state } = useSyncExternalStore(status.subscribe, status.getSnapshot);
  const label = state === 'live' ? 'Live' : state === 'reconnecting' ? 'Reconnecting…' : 'Connecting…';
  return (
    <span className={`connection connection-${state}`} role="status" aria-label={`Connection: ${label}`}>
      {label}
    </span>
  );
}

function Shell({ session, status, onSignOut }: { session: Session; status: ConnectionStatus; onSignOut: () => void }) {
  const location = useLocation();
  const { unread } = useNotifications();
  const path = location.split('?')[0] ?? '/';
  const current = (target: string) => (path === target ? 'page' : undefined);

  let screen: React.ReactNode;
  const profile = /^\/@([a-z0-9_]{1,30})(?:\/(followers|following))?$/i.exec(path);
  if (path === '/') screen = <HomeScreen status={status} />;
  else if (path === '/search') screen = <SearchScreen />;
  else if (path === '/notifications') screen = <NotificationsScreen />;
  else if (profile)
    screen = (
      <ProfileScreen
        handle={profile[1]!.toLowerCase()}
        tab={(profile[2] as 'followers' | 'following' | undefined) ?? 'posts'}
      />
    );
  else
    screen = (
      <main className="screen">
        <h1>Not found</h1>
        <p>
          Nothing here. <Link to="/">Back to your feed</Link>
        </p>
      </main>
    );

  return (
    <>
      <header className="topbar">
        <Link to="/" className="brand" aria-label="Micropost home">
          Micropost
        </Link>
        <nav aria-label="Main">
          <Link to="/" aria-current={current('/')}>
            Home
          </Link>
          <Link to="/search" aria-current={current('/search')}>
            Search
          </Link>
          <Link
            to="/notifications"
            aria-current={current('/notifications')}
            aria-label={unread > 0 ? `Notifications, ${unread} unread` : 'Notifications'}
          >
            Notifications{unread > 0 && <span className="badge">{unread}</span>}
          </Link>
          <Link to={`/@${session.handle}`} aria-current={current(`/@${session.handle}`)}>
            Profile
          </Link>
        </nav>
        <ConnectionBadge status={status} />
        <button type="button" className="link-button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      {screen}
    </>
  );
}

import { createContext, useContext } from 'react';
import type { Session } from './session.ts';

export interface SessionContextValue {
  readonly session: Session | null;
  readonly signOut: (reason?: string) => void;
}

export const SessionContext = createContext<SessionContextValue>({ session: null, signOut: () => {} });

export const useSession = () => useContext(SessionContext);

import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ApiClient } from '../api/client.ts';
import type { ChatSocket } from '../api/socket.ts';
import type { Account } from '../api/types.ts';

export interface AppContext {
  api: ApiClient;
  socket: ChatSocket;
  account: Account;
}

export const Ctx = createContext<AppContext | undefined>(undefined);

export function useApp(): AppContext {
  const c = useContext(Ctx);
  if (!c) throw new Error('useApp outside the signed-in shell');
  return c;
}

export const isOperator = (a: Account) => a.role === 'operator' || a.role === 'admin';

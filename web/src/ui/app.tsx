import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiClient } from '../api/client.ts';
import { loadSession, type Session } from '../api/session.ts';
import { ChatSocket, type ConnectionStatus } from '../api/socket.ts';
import { ActorsScreen } from './actors.tsx';
import { AgentsScreen } from './agents.tsx';
import { ChatScreen } from './chat.tsx';
import { Ctx, isOperator } from './context.ts';
import { EventsScreen } from './events.tsx';
import { KnowledgeScreen } from './knowledge.tsx';
import { LoginScreen } from './login.tsx';
import { ReaskCompareScreen } from './reask-compare.tsx';
import { href, useRoute } from './route.ts';
import { TraceScreen } from './trace.tsx';

/** The root: the login screen without a session, else the shell with one socket for the session. */
export function App() {
  const [session, setSession] = useState<Session | undefined>(() => loadSession());
  const api = useMemo(() => new ApiClient(session, setSession), []);
  if (!session) return <LoginScreen api={api} />;
  return <Shell api={api} session={session} />;
}

const STATUS_TEXT: Record<ConnectionStatus, string> = {
  connecting: 'Connecting…',
  online: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

function Shell({ api, session }: { api: ApiClient; session: Session }) {
  const route = useRoute();
  // One socket per signed-in account; it asks the client for a (refreshed) token on every connect.
  const socket = useMemo(() => new ChatSocket({ token: (refresh) => api.freshToken(refresh) }), [session.account.id]);
  const [status, setStatus] = useState<ConnectionStatus>(socket.status);
  useEffect(() => {
    const off = socket.onStatus(setStatus);
    return () => {
      off();
      socket.close();
    };
  }, [socket]);
  const account = session.account;
  const op = isOperator(account);
  const links: Array<[string, string]> = [
    ['chat', 'Chat'],
    ['agents', 'Agents'],
  ];
  if (op) links.push(['knowledge', 'Knowledge'], ['events', 'Event log'], ['actors', 'Actors']);

  let screen;
  switch (route.screen) {
    case 'agents':
      screen = <AgentsScreen />;
      break;
    case 'knowledge':
      screen = op ? <KnowledgeScreen agentId={route.arg} /> : <Forbidden />;
      break;
    case 'events':
      screen = op ? <EventsScreen /> : <Forbidden />;
      break;
    case 'actors':
      screen = op ? <ActorsScreen selected={route.arg} /> : <Forbidden />;
      break;
    case 'trace':
      screen = op ? <TraceScreen arg={route.arg ?? ''} /> : <Forbidden />;
      break;
    case 'reask':
      screen = op ? <ReaskCompareScreen arg={route.arg ?? ''} /> : <Forbidden />;
      break;
    default:
      screen = <ChatScreen roomId={route.arg} />;
  }

  return (
    <Ctx.Provider value={{ api, socket, account }}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Chronicle</span>
        <nav aria-label="Main">
          <ul>
            {links.map(([s, label]) => (
              <li key={s}>
                <a href={href(s)} aria-current={route.screen === s || (s === 'chat' && !links.some(([x]) => x === route.screen)) ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class={`conn conn-${status}`} role="status" aria-live="polite" data-testid="connection-status">
          <span class="dot" aria-hidden="true" /> {STATUS_TEXT[status]}
        </span>
        <span class="who">
          {account.name || account.username} <small>({account.role})</small>
          <button type="button" class="link" onClick={() => api.signOut(true)}>
            Sign out
          </button>
        </span>
      </header>
      <main id="main">{screen}</main>
    </Ctx.Provider>
  );
}

function Forbidden() {
  return (
    <p class="error" role="alert">
      This screen is for operators and admins.
    </p>
  );
}

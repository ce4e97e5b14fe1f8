import { useEffect, useState } from 'preact/hooks';

/** Hash routes (#/chat/<roomId>, #/agents, …): works from any static server with no fallback needed. */
export interface Route {
  screen: string;
  arg?: string;
}

export function parseRoute(hash: string): Route {
  const [screen, ...rest] = hash.replace(/^#\/?/, '').split('/');
  return { screen: screen || 'chat', arg: rest.length ? decodeURIComponent(rest.join('/')) : undefined };
}

export function href(screen: string, arg?: string): string {
  return `#/${screen}${arg ? `/${encodeURIComponent(arg)}` : ''}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

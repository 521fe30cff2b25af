import { useEffect, useState } from "preact/hooks";

/** Panel paths live under `/admin`; the server answers the shell for all of them. */
export const BASE = "/admin";

const listeners = new Set<() => void>();

/** Goes to a panel path without a reload (history API), then moves focus to the main region. */
export function navigate(path: string, replace = false): void {
  const url = path.startsWith(BASE) ? path : `${BASE}${path}`;
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  for (const l of listeners) l();
}

addEventListener("popstate", () => {
  for (const l of listeners) l();
});

/** The current panel path (after `/admin`) and query, re-rendering on navigation. */
export function useRoute(): { path: string; query: URLSearchParams } {
  const read = () => ({
    path: location.pathname.slice(BASE.length) || "/",
    query: new URLSearchParams(location.search),
  });
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const l = () => setRoute(read());
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return route;
}

/** Click handler for in-panel links: plain clicks navigate in place, modified ones open tabs. */
export function linkClick(e: MouseEvent): void {
  const a = e.currentTarget as HTMLAnchorElement;
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) {
    return;
  }
  e.preventDefault();
  navigate(a.getAttribute("href") ?? BASE);
}

/** Updates one query parameter of the current URL in place. */
export function setQuery(key: string, value: string | null): void {
  const q = new URLSearchParams(location.search);
  if (value === null || value === "") q.delete(key);
  else q.set(key, value);
  const s = q.toString();
  navigate(`${location.pathname}${s ? `?${s}` : ""}`, true);
}

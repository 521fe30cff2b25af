/** A running watch over the app repositories. */
export interface RepoWatcher {
  close(): void;
}

/**
 * Notices outside changes to app repositories (a stock `git push`) and reports which app changed,
 * debounced, so the registry can validate and serve the new head without a restart.
 */
export function watchRepos(
  appsDir: string,
  onChange: (appId: string) => void,
  debounceMs = 100,
): RepoWatcher {
  const watcher = Deno.watchFs(appsDir, { recursive: true });
  const pending = new Map<string, ReturnType<typeof setTimeout>>();
  const prefix = appsDir.endsWith("/") ? appsDir : `${appsDir}/`;
  (async () => {
    try {
      for await (const event of watcher) {
        for (const path of event.paths) {
          if (!path.startsWith(prefix)) continue;
          const repo = path.slice(prefix.length).split("/")[0];
          if (!repo.endsWith(".git") || !isRefChange(path)) continue;
          const appId = repo.slice(0, -4);
          clearTimeout(pending.get(appId));
          pending.set(
            appId,
            setTimeout(() => {
              pending.delete(appId);
              onChange(appId);
            }, debounceMs),
          );
        }
      }
    } catch {
      // the watcher was closed
    }
  })();
  return {
    close() {
      for (const t of pending.values()) clearTimeout(t);
      pending.clear();
      try {
        watcher.close();
      } catch {
        // already closed
      }
    },
  };
}

function isRefChange(path: string): boolean {
  return path.includes("/refs/") || path.endsWith("/packed-refs") || path.endsWith("/HEAD");
}

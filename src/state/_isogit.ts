type Git = typeof import("isomorphic-git").default;

let loading: Promise<Git> | undefined;

/**
 * isomorphic-git, loaded by the first write, ref lookup by name or repo (re)configuration: reads
 * go through Kiln's own object reader, so a node that only serves never holds it. The specifier
 * stays literal so `deno compile` embeds it.
 */
export function isoGit(): Promise<Git> {
  loading ??= import("isomorphic-git").then((m) => m.default, (err) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

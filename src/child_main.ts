/**
 * Kiln's hidden subcommands: Kiln started by itself (see `core/child_command.ts`) as an app's
 * isolate host, component host or prompt renderer. A compiled Kiln reaches them from `main.ts` before the CLI
 * loads; from source deno runs this file, so a child loads only its own program, never the rest
 * of Kiln. A compiled Kiln starts with every permission it
 * was compiled with; the child revokes them all and checks they are gone before it runs, and
 * refuses to run otherwise. Not listed in help or completions: nobody types them.
 *
 * A child never outlives the Kiln that started it: besides its channel closing (which each
 * program watches), it checks its parent every `PARENT_CHECK_MS` and exits once it was
 * reparented — Kiln died (SIGKILL, a crash) however its channel ended up.
 */

/** Each hidden subcommand and the module of its program (loaded, not yet run, before the drop). */
const CHILDREN: Record<string, () => Promise<{ childMain(args: string[]): Promise<void> }>> = {
  "__isolate-host": () => import("./sandbox/isolate/child.ts"),
  "__component-host": () => import("./sandbox/wasm/component/child.ts"),
  "__renderer": () => import("./template/child.ts"),
};

const PERMISSIONS = ["read", "write", "net", "env", "run", "ffi", "sys", "import"] as const;

/** How often a child checks that the Kiln that started it is still its parent. */
export const PARENT_CHECK_MS = 500;

/** A few specific grants besides the global one: a path- or host-scoped flag must be gone too. */
const PROBES: Deno.PermissionDescriptor[] = [
  { name: "read", path: "/" },
  { name: "read", path: "/tmp" },
  { name: "write", path: "/tmp" },
  { name: "net", host: "127.0.0.1" },
  { name: "env", variable: "HOME" },
  { name: "run", command: "sh" },
];

export function isChildCommand(name: string | undefined): boolean {
  return name !== undefined && Object.hasOwn(CHILDREN, name);
}

/** Runs hidden subcommand `name`: loads its program, drops every permission, then starts it. */
export async function runChild(name: string, args: string[]): Promise<void> {
  if (!isChildCommand(name)) {
    Deno.stderr.writeSync(new TextEncoder().encode(`kiln: no hidden subcommand "${name}"\n`));
    Deno.exit(2);
  }
  // Read before loading anything: a Kiln that dies while the program loads is still noticed.
  const parent = Deno.ppid;
  const program = await CHILDREN[name]();
  const kept = dropPermissions();
  if (kept.length > 0) {
    const line = `kiln ${name}: refusing to run: still has ${kept.join(", ")} access\n`;
    Deno.stderr.writeSync(new TextEncoder().encode(line));
    Deno.exit(1);
  }
  exitWithParent(parent);
  await program.childMain(args);
}

/**
 * Exits once this process's parent is no longer `parent`: it died and the process was reparented
 * (to init or a subreaper). `Deno.ppid` is read afresh each time and needs no permission; the
 * timer is unref'd, so it never keeps the child alive on its own.
 */
export function exitWithParent(parent = Deno.ppid, everyMs = PARENT_CHECK_MS): void {
  if (Deno.ppid !== parent) Deno.exit(0);
  const timer = setInterval(() => {
    if (Deno.ppid !== parent) Deno.exit(0);
  }, everyMs);
  Deno.unrefTimer(timer);
}

/** Revokes every permission; returns the ones still granted afterwards (none, or a Deno change). */
export function dropPermissions(): string[] {
  for (const name of PERMISSIONS) {
    try {
      Deno.permissions.revokeSync({ name } as Deno.PermissionDescriptor);
    } catch { /* checked below */ }
  }
  const kept: string[] = [];
  for (const descriptor of [...PERMISSIONS.map((name) => ({ name })), ...PROBES]) {
    let state: Deno.PermissionState;
    try {
      state = Deno.permissions.querySync(descriptor as Deno.PermissionDescriptor).state;
    } catch {
      state = "granted";
    }
    if (state === "granted") kept.push(JSON.stringify(descriptor));
  }
  return kept;
}

if (import.meta.main) await runChild(Deno.args[0], Deno.args.slice(1));

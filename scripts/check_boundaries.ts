/**
 * Keeps the layers one-way (`deno task check` runs it). Reads every import under `src/` and fails
 * on:
 * - an import between folders that the folder's layer does not allow (`LAYERS`), or a folder
 *   with no declared layer;
 * - an import cycle between folders, or between files of one folder;
 * - a cross-folder import that bypasses the folder's door, `mod.ts`;
 * - any `src/` import of `tests/`;
 * - a name a `mod.ts` exports that nothing outside its folder imports (a door wider than its use).
 * In the spirit of Deno std's `_tools/check_circular_package_dependencies.ts` and
 * `check_mod_exports.ts`.
 *
 * `src/generated/` (the committed bundles and embedded sources) is a leaf: any folder may import
 * its files directly, and its files may import nothing from `src/`.
 *
 * `--graph` prints the folder graph instead (who imports whom), for `docs/architecture.md`.
 */
import { dirname, join, relative, resolve } from "node:path";

/** The engines' layers: what the JIT loop, the tool sets and the edges build on. */
const ENGINES = [
  "core",
  "models",
  "metrics",
  "schema",
  "state",
  "auth",
  "registry",
  "sandbox",
  "mcp",
  "router",
  "llm",
];
/**
 * Each top-level folder of `src/`, bottom to top, with the folders it may import. The order is
 * the layer diagram of `docs/architecture.md`; keep the two together.
 */
export const LAYERS: Record<string, readonly string[]> = {
  core: [],
  models: ["core"],
  metrics: ["core", "models"],
  schema: ["core", "models"],
  template: ["core", "models"],
  state: ["core", "models", "schema"],
  cluster: ["core", "models", "state", "auth"],
  auth: ["core", "models", "state"],
  registry: ["core", "models", "schema", "state", "auth"],
  sandbox: ["core", "models", "metrics"],
  mcp: ["core", "models", "metrics", "auth", "registry"],
  router: ["core", "models", "metrics", "auth", "registry", "sandbox", "mcp"],
  bundler: ["core", "models", "state", "sandbox", "router"],
  llm: ["core", "models", "metrics", "schema", "template", "state", "sandbox", "mcp", "router"],
  workflow: ["core", "models", "schema", "auth", "state", "registry", "mcp", "router"],
  jit: [...ENGINES, "bundler"],
  tools: [...ENGINES, "workflow", "jit"],
  admin: ["core", "models", "auth", "state"],
  scaffold: ["core", "models", "schema"],
  http: [...ENGINES, "workflow", "jit", "tools", "admin"],
  // The composition root's parts (`src/kiln.ts` assembles them): they wire every engine in.
  kiln: [...ENGINES, "bundler", "template", "cluster", "workflow", "jit", "tools", "admin", "http"],
  cli: [...ENGINES, "workflow", "jit", "tools", "admin", "http", "scaffold"],
};

const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\sfrom\s+)?["']([^"']+)["']/g;
const DYNAMIC = /import\(\s*["']([^"']+)["']\s*\)/g;
/** `import { a, type b, c as d } from "…"` and `export { … } from "…"`, with their names. */
const NAMED = /(?:^|\n)\s*(import|export)\s+(?:type\s+)?\{([^}]*)\}\s*from\s*["']([^"']+)["']/g;
/** `import * as name from "…"`: every name of that module counts as used. */
const NAMESPACE = /(?:^|\n)\s*import\s+(?:type\s+)?\*\s+as\s+\w+\s+from\s*["']([^"']+)["']/g;
/** Generated files: imported directly by anyone, importing nothing. */
const GENERATED = "generated";

export interface Problem {
  file: string;
  message: string;
}

export interface BoundaryReport {
  problems: Problem[];
  /** Top-level folder → the top-level folders it imports. */
  graph: Map<string, Set<string>>;
}

/** Every boundary problem in `<root>/src/`, plus the folder graph. */
export async function checkBoundaries(
  root: string,
  layers: Record<string, readonly string[]> = LAYERS,
): Promise<BoundaryReport> {
  const src = join(root, "src");
  const problems: Problem[] = [];
  const graph = new Map<string, Set<string>>();
  const files = new Map<string, Set<string>>(); // file → files of the same folder it imports
  const rel = (file: string) => relative(root, file);
  const folderOf = (file: string) => {
    const parts = relative(src, file).split("/");
    return parts.length === 1 ? "." : parts.slice(0, -1).join("/");
  };
  const sources = await collect(
    src,
    (dir, name) =>
      (/\.tsx?$/.test(name) || (/\.js$/.test(name) && relative(src, dir) === GENERATED)) &&
      !/_test\.tsx?$/.test(name),
  );
  for (const file of sources) {
    const text = await Deno.readTextFile(file);
    const from = folderOf(file);
    const fromSub = from.split("/")[0];
    files.set(file, new Set());
    if (from !== "." && !(fromSub in layers) && fromSub !== GENERATED) {
      problems.push({ file: rel(file), message: `src/${fromSub}/ has no layer in LAYERS` });
    }
    for (const spec of specifiers(text)) {
      if (!spec.startsWith(".")) continue;
      const target = resolve(dirname(file), spec);
      if (relative(root, target).startsWith("tests/")) {
        problems.push({ file: rel(file), message: `imports ${rel(target)} from tests/` });
        continue;
      }
      if (!target.startsWith(src + "/")) continue;
      const to = folderOf(target);
      if (to === from) {
        files.get(file)!.add(target);
        continue;
      }
      const base = target.slice(target.lastIndexOf("/") + 1);
      const toSub = to.split("/")[0];
      if (fromSub === GENERATED) {
        problems.push({
          file: rel(file),
          message: `imports ${relative(src, target)}: src/generated/ imports nothing from src/`,
        });
        continue;
      }
      if (toSub === GENERATED) continue;
      // Inside one subsystem (a top-level folder) files may use each other, private ones too,
      // as in Deno std's packages; across subsystems only a folder's door, mod.ts.
      if (fromSub === toSub) continue;
      if (to === ".") {
        // The composition root is reached only by the CLI that starts it.
        if (!(fromSub === "cli" && base === "kiln.ts")) {
          problems.push({ file: rel(file), message: `imports src/${base}` });
        }
        continue;
      }
      // A subsystem's `child.ts` is the program Kiln runs as its own child process (a hidden
      // subcommand): reached only by `src/child_main.ts`, so a child loads none of the rest.
      if (from === "." && base === "child.ts") continue;
      if (base !== "mod.ts") {
        problems.push({
          file: rel(file),
          message: `imports ${relative(src, target)} instead of ${to}/mod.ts`,
        });
      }
      if (from === ".") continue;
      if (fromSub in layers && !layers[fromSub].includes(toSub)) {
        problems.push({
          file: rel(file),
          message: `imports ${toSub}/, which the ${fromSub} layer may not (it may import: ${
            layers[fromSub].join(", ") || "nothing in src/"
          })`,
        });
      }
      if (!graph.has(fromSub)) graph.set(fromSub, new Set());
      graph.get(fromSub)!.add(toSub);
    }
  }
  for (const cycle of cycles(graph)) {
    problems.push({ file: "src/", message: `folder cycle: ${cycle.join(" → ")}` });
  }
  const fileGraph = new Map(
    [...files].map(([f, tos]) => [rel(f), new Set([...tos].map(rel))]),
  );
  for (const cycle of cycles(fileGraph)) {
    problems.push({ file: cycle[0], message: `file cycle: ${cycle.join(" → ")}` });
  }
  problems.push(...await unusedExports(root, src));
  return { problems, graph };
}

/** Names a `mod.ts` exports that no file outside its folder imports from it. */
async function unusedExports(root: string, src: string): Promise<Problem[]> {
  const doors = await collect(src, (_dir, name) => name === "mod.ts");
  const users = await collect(root, (_dir, name) => /\.tsx?$/.test(name));
  const exported = new Map<string, Set<string>>();
  for (const door of doors) {
    const names = new Set<string>();
    for (const m of (await Deno.readTextFile(door)).matchAll(NAMED)) {
      if (m[1] === "export") { for (const n of names_(m[2])) names.add(n.public); }
    }
    exported.set(door, names);
  }
  const used = new Map<string, Set<string>>([...doors].map((d) => [d, new Set()]));
  for (const file of users) {
    const text = await Deno.readTextFile(file);
    for (const m of text.matchAll(NAMED)) {
      if (!m[3].startsWith(".")) continue;
      const target = resolve(dirname(file), m[3]);
      const seen = used.get(target);
      // A folder's own files (and its mod.ts) do not count as use from outside it.
      if (!seen || dirname(file) === dirname(target)) continue;
      for (const n of names_(m[2])) seen.add(n.imported);
    }
    // A dynamic `import()` yields the module's namespace: it counts as a namespace import.
    for (const m of [...text.matchAll(NAMESPACE), ...text.matchAll(DYNAMIC)]) {
      if (!m[1].startsWith(".")) continue;
      const target = resolve(dirname(file), m[1]);
      if (used.has(target) && dirname(file) !== dirname(target)) {
        for (const n of exported.get(target)!) used.get(target)!.add(n);
      }
    }
  }
  const problems: Problem[] = [];
  for (const [door, names] of exported) {
    const unused = [...names].filter((n) => !used.get(door)!.has(n)).sort();
    if (unused.length > 0) {
      problems.push({
        file: relative(root, door),
        message: `exports what nothing outside its folder imports: ${unused.join(", ")}`,
      });
    }
  }
  return problems;
}

/** The names of a `{ … }` import/export list: as imported (left of `as`) and as exposed. */
function names_(list: string): { imported: string; public: string }[] {
  return list.split(",").map((s) => s.trim().replace(/^type\s+/, "")).filter(Boolean).map(
    (s) => {
      const [imported, alias] = s.split(/\s+as\s+/);
      return { imported, public: alias ?? imported };
    },
  );
}

function specifiers(text: string): string[] {
  return [...text.matchAll(IMPORT), ...text.matchAll(DYNAMIC)].map((m) => m[1]);
}

async function collect(
  dir: string,
  keep: (dir: string, name: string) => boolean,
  out: string[] = [],
): Promise<string[]> {
  for await (const e of Deno.readDir(dir)) {
    if (e.name === "node_modules" || e.name.startsWith(".")) continue;
    const path = join(dir, e.name);
    if (e.isDirectory) await collect(path, keep, out);
    else if (e.isFile && keep(dir, e.name)) out.push(path);
  }
  return out.sort();
}

/** One representative cycle per strongly connected component (Tarjan). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], on = new Set<string>();
  const found: string[][] = [];
  let n = 0;
  const nodes = new Set([...graph.keys(), ...[...graph.values()].flatMap((s) => [...s])]);
  const visit = (v: string) => {
    index.set(v, n), low.set(v, n), n++;
    stack.push(v), on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) (visit(w), low.set(v, Math.min(low.get(v)!, low.get(w)!)));
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do (w = stack.pop()!, on.delete(w), scc.push(w)); while (w !== v);
      if (scc.length > 1) {
        found.push([...pathThrough(graph, scc), `(all of: ${scc.sort().join(", ")})`]);
      }
    }
  };
  for (const v of [...nodes].sort()) if (!index.has(v)) visit(v);
  return found;
}

/** A cycle through the members of one strongly connected component, for the message. */
function pathThrough(graph: Map<string, Set<string>>, scc: string[]): string[] {
  const members = new Set(scc);
  const start = [...scc].sort()[0];
  const path = [start];
  const seen = new Set([start]);
  let at = start;
  for (;;) {
    const next = [...(graph.get(at) ?? [])].filter((w) => members.has(w)).sort();
    const back = next.find((w) => w === start && path.length > 1);
    if (back) return [...path, start];
    const step = next.find((w) => !seen.has(w)) ?? next[0];
    if (!step || seen.has(step)) return [...path, step ?? start];
    path.push(step), seen.add(step), at = step;
  }
}

if (import.meta.main) {
  const root = resolve(dirname(new URL(import.meta.url).pathname), "..");
  const { problems, graph } = await checkBoundaries(root);
  if (Deno.args.includes("--graph")) {
    for (const [from, tos] of [...graph].sort()) {
      console.log(`${from} → ${[...tos].sort().join(", ")}`);
    }
    Deno.exit(0);
  }
  for (const p of problems) console.error(`${p.file}: ${p.message}`);
  if (problems.length > 0) {
    console.error(`\n${problems.length} boundary problem(s); see docs/architecture.md (layers).`);
    Deno.exit(1);
  }
  console.log("boundaries: layers one-way, no cycles, imports through mod.ts, doors no wider");
}

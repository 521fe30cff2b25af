/**
 * Keeps the layers one-way (`deno task check` runs it): reads every import under `src/` and fails
 * on an import cycle between folders, a cross-folder import that bypasses the folder's `mod.ts`
 * (or reaches a `_private` file), and any `src/` import of `tests/`. In the spirit of Deno std's
 * `_tools/check_circular_package_dependencies.ts` and `check_mod_exports.ts`.
 *
 * `src/generated/` (the committed bundles and embedded sources) is a leaf: any folder may import
 * its files directly, and its files may import nothing from `src/`.
 *
 * `--graph` prints the folder graph instead (who imports whom), for `docs/architecture.md`.
 */
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "..");
const SRC = join(ROOT, "src");
const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\sfrom\s+)?["']([^"']+)["']/g;
const DYNAMIC = /import\(\s*["']([^"']+)["']\s*\)/g;
/** Generated files: imported directly by anyone, importing nothing. */
const GENERATED = "generated";

/** The folder a file belongs to: `src/<folder>/…`, nested folders count as their own. */
function folderOf(file: string): string {
  const rel = relative(SRC, file);
  const parts = rel.split("/");
  if (parts.length === 1) return "."; // src/kiln.ts, src/main.ts: the composition root
  return parts.slice(0, -1).join("/");
}

/** The top-level subsystem of a folder (`sandbox/isolate` → `sandbox`). */
function subsystemOf(folder: string): string {
  return folder.split("/")[0];
}

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) {
      if (e.name === "node_modules") continue;
      yield* walk(path);
    } else if (/\.tsx?$/.test(e.name) && !/_test\.tsx?$/.test(e.name)) yield path;
    else if (/\.js$/.test(e.name) && relative(SRC, dir) === GENERATED) yield path;
  }
}

export interface Problem {
  file: string;
  message: string;
}

/** Every boundary problem in `src/`, plus the subsystem graph. */
export async function checkBoundaries(): Promise<
  { problems: Problem[]; graph: Map<string, Set<string>> }
> {
  const problems: Problem[] = [];
  const graph = new Map<string, Set<string>>();
  for await (const file of walk(SRC)) {
    const text = await Deno.readTextFile(file);
    const from = folderOf(file);
    const specifiers = [...text.matchAll(IMPORT), ...text.matchAll(DYNAMIC)].map((m) => m[1]);
    for (const spec of specifiers) {
      if (!spec.startsWith(".")) continue;
      const target = resolve(dirname(file), spec);
      const relTarget = relative(ROOT, target);
      if (relTarget.startsWith("tests/")) {
        problems.push({ file: relative(ROOT, file), message: `imports ${relTarget} from tests/` });
        continue;
      }
      if (!target.startsWith(SRC + "/")) continue;
      const to = folderOf(target);
      if (to === from) continue;
      const base = target.slice(target.lastIndexOf("/") + 1);
      const fromSub = subsystemOf(from), toSub = subsystemOf(to);
      if (fromSub === GENERATED) {
        problems.push({
          file: relative(ROOT, file),
          message: `imports ${relative(SRC, target)}: src/generated/ imports nothing from src/`,
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
          problems.push({ file: relative(ROOT, file), message: `imports src/${base}` });
        }
        continue;
      }
      if (base !== "mod.ts") {
        problems.push({
          file: relative(ROOT, file),
          message: `imports ${relative(SRC, target)} instead of ${to}/mod.ts`,
        });
      }
      if (from === ".") continue;
      if (!graph.has(fromSub)) graph.set(fromSub, new Set());
      graph.get(fromSub)!.add(toSub);
    }
  }
  for (const cycle of cycles(graph)) {
    problems.push({ file: "src/", message: `folder cycle: ${cycle.join(" → ")}` });
  }
  return { problems, graph };
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
  const { problems, graph } = await checkBoundaries();
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
  console.log("boundaries: no folder cycles, imports go through mod.ts");
}

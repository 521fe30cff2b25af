/**
 * Registry test fixtures: a real embedded store file and real Git definition repos in a temp
 * dir, so a test can build a second Registry over the same data to see what survives a restart.
 */
import { join } from "node:path";
import {
  AppVolumes,
  EmbeddedStore,
  GitDefinitionStore,
  RuntimeState,
  StateManager,
} from "../state/mod.ts";
import { Registry, type RegistryOptions } from "./registry.ts";

export const APP_DEF = (appId: string) =>
  `appId: ${appId}\ndisplayName: ${appId}\nversion: 1.0.0\nconfiguration: { greeting: app }\n`;

export const REGISTRY = `components:
  - componentId: hello
    handlerType: jit
    taskDetails: { script: code/hello.ts, function: hello, language: typescript }
    routeMatcher: { pathPattern: /hello/:name, methods: [GET] }
    configurationOverrides: { greeting: component }
`;

/** A small valid app: one component behind one route. */
export function appFiles(
  appId: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    "app_definition.yaml": APP_DEF(appId),
    "component_registry.yaml": REGISTRY,
    "code/hello.ts": "export function hello() {\n  return 1;\n}\n",
    ...extra,
  };
}

export interface RegistryFixture {
  dir: string;
  store: EmbeddedStore;
  state: StateManager;
  registry: Registry;
  /** A second registry over the same store and repos, as after a restart (not yet loaded). */
  reopen(): Registry;
}

/** Runs `fn` with a fresh registry on a temp dir; closes the store and removes the dir after. */
export async function withRegistry(
  fn: (f: RegistryFixture) => Promise<void>,
  opts: Partial<RegistryOptions> = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kiln-registry-" });
  const store = EmbeddedStore.open(join(dir, "state.db"));
  try {
    const build = () => {
      const definitions = new GitDefinitionStore({ dataDir: dir });
      const state = new StateManager(
        definitions,
        new RuntimeState(store),
        new AppVolumes(join(dir, "volumes")),
      );
      return { state, registry: new Registry({ state, store, ...opts }) };
    };
    const { state, registry } = build();
    await fn({ dir, store, state, registry, reopen: () => build().registry });
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Awaits `p` and returns the error it rejects with; fails if it resolves. */
export async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error("expected a rejection, but the call succeeded");
}

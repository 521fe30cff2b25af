import { createKiln, type Kiln, type KilnOptions } from "../../src/kiln.ts";
import { silentLogger } from "../../src/core/log.ts";

export const ADMIN_TOKEN = "test-admin-token-0123456789abcdef";

/** A Kiln core on a temp data dir, driven through its HTTP handler (no socket). */
export interface TestKiln {
  kiln: Kiln;
  dataDir: string;
  /** Calls the HTTP API; `token` defaults to the admin token, `null` sends none. */
  call(
    method: string,
    path: string,
    body?: unknown,
    token?: string | null,
    // deno-lint-ignore no-explicit-any -- tests index freely into JSON answers
  ): Promise<{ status: number; json: any; headers: Headers }>;
  raw(req: Request): Promise<Response>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** Starts Kiln on a fresh temp dir (or `dataDir`); close() removes the dir it made. */
export async function startKiln(opts: Partial<KilnOptions> = {}): Promise<TestKiln> {
  const made = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? await Deno.makeTempDir({ prefix: "kiln-test-" });
  const options: KilnOptions = {
    adminToken: ADMIN_TOKEN,
    logger: silentLogger,
    watch: false,
    ...opts,
    dataDir,
  };
  let kiln = await createKiln(options);
  const self: TestKiln = {
    get kiln() {
      return kiln;
    },
    dataDir,
    async call(method, path, body, token = ADMIN_TOKEN) {
      const headers: Record<string, string> = {};
      if (token !== null) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers["content-type"] = "application/json";
      const res = await kiln.handler(
        new Request(`http://kiln.test${path}`, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
        }),
      );
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : null, headers: res.headers };
    },
    async raw(req) {
      return await kiln.handler(req);
    },
    async restart() {
      await kiln.close();
      kiln = await createKiln(options);
    },
    async close() {
      await kiln.close();
      if (made) await Deno.remove(dataDir, { recursive: true });
    },
  };
  return self;
}

/** A minimal valid app as state files. */
export function minimalApp(
  appId: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    "app_definition.yaml": `appId: ${appId}\ndisplayName: ${appId} app\nversion: 1.0.0\n` +
      `configuration:\n  greeting: hello\n  llm:\n    model: small\n`,
    "component_registry.yaml": `components:
  - componentId: getUser
    handlerType: jit
    runtime: isolate
    trust: trusted
    taskDetails: { script: code/users.ts, function: getUser, language: typescript }
    routeMatcher: { pathPattern: /api/users/:id, methods: [GET] }
    configurationOverrides: { greeting: hi }
  - componentId: createUser
    handlerType: jit
    taskDetails: { script: code/users.ts, function: createUser, language: typescript }
    routeMatcher: { pathPattern: /api/users, methods: [POST] }
`,
    "code/users.ts": "export function getUser(req: unknown) { return { ok: true, req }; }\n" +
      "export function createUser() { return { created: true }; }\n",
    ...extra,
  };
}

export { assertFsckClean, git } from "./git.ts";

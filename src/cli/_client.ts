import { CliError, EXIT, type ExitCode } from "./_output.ts";

/** Where the CLI finds a running Kiln and how it authenticates. */
export interface Remote {
  url: string;
  token?: string;
}

export const DEFAULT_URL = "http://127.0.0.1:7411";

const STATUS_EXIT: Record<number, ExitCode> = {
  401: EXIT.AUTH,
  403: EXIT.AUTH,
  404: EXIT.NOT_FOUND,
  409: EXIT.CONFLICT,
};

/** The bearer token or a usage error naming the ways to give one. */
export function tokenOf(remote: Remote): string {
  if (!remote.token) {
    throw new CliError(
      "no token: pass --token, set KILN_ADMIN_TOKEN, or save one with kiln login",
      EXIT.USAGE,
    );
  }
  return remote.token;
}

/** Sends one request to Kiln; an unreachable Kiln is a CliError naming the address. */
export async function request(
  remote: Remote,
  method: string,
  path: string,
  init: { body?: unknown; accept?: string; signal?: AbortSignal } = {},
): Promise<Response> {
  const token = tokenOf(remote);
  try {
    return await fetch(new URL(path, remote.url), {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(init.accept ? { accept: init.accept } : {}),
        ...(init.body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: init.signal,
    });
  } catch (err) {
    throw new CliError(`cannot reach Kiln at ${remote.url}: ${(err as Error).message}`);
  }
}

/** Turns an error answer into a CliError quoting its code and message, with the exit code. */
export async function failure(res: Response): Promise<CliError> {
  const text = await res.text();
  let e: { code?: string; message?: string; details?: unknown } | undefined;
  try {
    e = (JSON.parse(text) as { error?: typeof e })?.error;
  } catch { /* not JSON: the status says enough */ }
  const details = e?.details ? `\n${JSON.stringify(e.details, null, 2)}` : "";
  return new CliError(
    `${e?.code ?? res.status}: ${e?.message ?? res.statusText}${details}`,
    STATUS_EXIT[res.status] ?? EXIT.FAILED,
  );
}

/** Calls Kiln's HTTP API and answers the JSON body; an error envelope becomes a CliError. */
export async function callApi(
  remote: Remote,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const res = await request(remote, method, path, { body });
  if (!res.ok) throw await failure(res);
  const text = await res.text();
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    throw new CliError(`Kiln answered ${res.status} with a body that is not JSON`);
  }
}

/** `/v1/apps/{appId}` with the id encoded, plus a suffix. */
export function appPath(appId: string, suffix = ""): string {
  return `/v1/apps/${encodeURIComponent(appId)}${suffix}`;
}

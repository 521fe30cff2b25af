/** The edge: the only place that binds Kiln's handler to a socket. */
export interface Listening {
  url: string;
  port: number;
  hostname: string;
  shutdown(): Promise<void>;
  finished: Promise<void>;
}

/** Serves `handler` on `hostname:port` (`port` 0 picks a free one). */
export function listen(
  handler: (req: Request) => Response | Promise<Response>,
  opts: { port: number; hostname: string; signal?: AbortSignal },
): Listening {
  const server = Deno.serve({
    port: opts.port,
    hostname: opts.hostname,
    signal: opts.signal,
    onListen: () => {},
  }, handler);
  const { hostname, port } = server.addr as Deno.NetAddr;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return {
    url: `http://${host}:${port}`,
    port,
    hostname,
    shutdown: () => server.shutdown(),
    finished: server.finished,
  };
}

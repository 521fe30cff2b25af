/** HAProxy in front of test nodes, configured exactly as `docs/cluster.md` shows operators. */
import { join } from "node:path";

const DOC = new URL("../../docs/cluster.md", import.meta.url);

/** HAProxy with the configuration of docs/cluster.md, on the test's ports. */
export async function startHaproxy(dir: string, port: number, nodePorts: number[]) {
  const doc = await Deno.readTextFile(DOC);
  let config = /```haproxy\n([\s\S]*?)```/.exec(doc)![1];
  config = config.replace("bind 127.0.0.1:7400", `bind 127.0.0.1:${port}`);
  nodePorts.forEach((p, i) => {
    config = config.replace(`127.0.0.1:${7411 + i}`, `127.0.0.1:${p}`);
  });
  config = config.replace("global\n", `global\n    stats socket ${dir}/haproxy.sock level admin\n`);
  await Deno.writeTextFile(join(dir, "haproxy.cfg"), config);
  const child = new Deno.Command("haproxy", {
    args: ["-f", join(dir, "haproxy.cfg"), "-db"],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  child.stderr.cancel().catch(() => {});
  return child;
}

/** How many nodes HAProxy's health checks see running. */
export async function haproxyUp(dir: string): Promise<number> {
  let conn: Deno.UnixConn;
  try {
    conn = await Deno.connect({ transport: "unix", path: join(dir, "haproxy.sock") });
  } catch {
    return 0; // not listening on its stats socket yet
  }
  await conn.write(new TextEncoder().encode("show servers state kiln_nodes\n"));
  const text = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
  // Field 6 (srv_op_state) is 2 when the server is running.
  return text.split("\n").filter((l) => /^\d+ kiln_nodes /.test(l))
    .filter((l) => l.split(" ")[5] === "2").length;
}

import { parseArgs } from "node:util";
import { KILN_WORLDS } from "../sandbox/mod.ts";
import { CliError, EXIT, type Io } from "./_output.ts";

export const WIT_HELP = `Usage: kiln wit [--world NAME] [--json]

Prints the WIT a WebAssembly component implements to run on Kiln's wasm tier
(runtime: wasm, taskDetails.language: wasm). Save it as wit/handler.wit and point
componentize-js, cargo-component or wit-bindgen at it (docs/guide/wasi.md).

Options:
  --world NAME   The world to print (default and only one today: ${Object.keys(KILN_WORLDS)[0]})
  --json         Print {"package", "world", "imports", "exports", "wit"} instead
  -h, --help     Show this help`;

/** `kiln wit`: the WIT world of handler components, embedded in the binary (no network). */
export function witCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      world: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.out(WIT_HELP);
    return Promise.resolve(EXIT.OK);
  }
  if (positionals.length > 0) {
    throw new CliError(`unexpected argument "${positionals[0]}"\n\n${WIT_HELP}`, EXIT.USAGE);
  }
  const name = values.world ?? Object.keys(KILN_WORLDS)[0];
  const world = Object.hasOwn(KILN_WORLDS, name) ? KILN_WORLDS[name] : undefined;
  if (!world) {
    throw new CliError(
      `unknown world "${name}" (known: ${Object.keys(KILN_WORLDS).join(", ")})`,
      EXIT.USAGE,
    );
  }
  io.out(values.json ? JSON.stringify(world, null, 2) : world.wit.trimEnd());
  return Promise.resolve(EXIT.OK);
}

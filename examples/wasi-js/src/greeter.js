// A Kiln handler component written in JavaScript. componentize-js compiles it, with the
// StarlingMonkey engine, into a component implementing the `kiln:handler` world
// (wit/handler.wit: the text `kiln wit` prints). `handle` gets the request and the context as
// JSON text and answers JSON text; throwing answers `err`, which Kiln reports as this component's
// own error (JSON `{code, message}` keeps its code).
import { call } from "kiln:host/mcp@0.1.0";
import { log } from "kiln:host/log@0.1.0";

export function handle(requestJson, contextJson) {
  const { httpDetails } = JSON.parse(requestJson);
  const context = JSON.parse(contextJson);
  const query = httpDetails?.queryParameters ?? {};

  if (query.action === "count") {
    // A tool call suspends the component while Kiln runs it; its answer is JSON text. The
    // component may call only the tools its registry entry lists under `permissions`.
    const { value } = JSON.parse(
      call("core.state.incrementRuntimeValue", JSON.stringify({ key: "greetings" })),
    );
    log("info", `greeting number ${value}`);
    return JSON.stringify({ count: value });
  }
  if (query.action === "spin") { for (;;); }
  if (query.action === "hoard") {
    // Grows the component's memory 16 MiB at a time, past its `memoryMb`.
    const hoard = [];
    for (;;) hoard.push(new Uint8Array(16 << 20));
  }
  const name = query.name;
  if (typeof name !== "string" || name === "") {
    throw JSON.stringify({ code: "NAME_REQUIRED", message: "add ?name=... to the URL" });
  }
  log("info", `greeting ${name} for ${context.appId}`);
  return JSON.stringify({ greeting: `Hello, ${name}!`, engine: "StarlingMonkey" });
}

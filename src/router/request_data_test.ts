import assert from "node:assert/strict";
import { KilnError } from "../core/mod.ts";
import { encodeBody, httpRequestData, readBody } from "./request_data.ts";

const HIT = { path: "/users/7", routePattern: "/users/:id", pathParameters: { id: "7" } };

function request(init: RequestInit = {}, query = ""): [Request, URL] {
  const url = new URL(`http://kiln.test/apps/shop/users/7${query}`);
  return [new Request(url, init), url];
}

Deno.test("httpRequestData() carries method, route, query, headers and body per contract §5", async () => {
  const [req, url] = request({
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: "Bearer k",
      cookie: "s=1",
      "proxy-authorization": "Basic x",
      "x-trace": "t1",
    },
    body: '{"name":"Ada"}',
  }, "?tag=a&tag=b&tag=c&q=");
  const data = await httpRequestData(req, url, HIT);
  assert.equal(data.source, "http");
  const http = data.httpDetails!;
  assert.deepEqual(
    { ...http, headers: undefined },
    {
      method: "POST",
      path: "/users/7",
      routePattern: "/users/:id",
      pathParameters: { id: "7" },
      queryParameters: { tag: ["a", "b", "c"], q: "" },
      headers: undefined,
      body: '{"name":"Ada"}',
      bodyEncoding: "utf8",
    },
  );
  assert.deepEqual(http.headers, { "content-type": "application/json", "x-trace": "t1" });
});

Deno.test("encodeBody() keeps UTF-8 text as text and carries everything else as base64", () => {
  const utf8 = new TextEncoder().encode("héllo");
  assert.deepEqual(encodeBody(utf8, "text/plain; charset=utf-8"), {
    body: "héllo",
    bodyEncoding: "utf8",
  });
  assert.deepEqual(encodeBody(utf8, "application/vnd.api+json"), {
    body: "héllo",
    bodyEncoding: "utf8",
  });
  assert.deepEqual(encodeBody(utf8, null), { body: "héllo", bodyEncoding: "utf8" });
  assert.deepEqual(encodeBody(utf8, "image/png"), { body: "aMOpbGxv", bodyEncoding: "base64" });
  const invalid = new Uint8Array([0xc3, 0x28]);
  assert.deepEqual(encodeBody(invalid, "text/plain"), { body: "wyg=", bodyEncoding: "base64" });
  const bom = new Uint8Array([0xef, 0xbb, 0xbf, 0x41]);
  assert.equal(encodeBody(bom, "text/plain").body, "\ufeffA", "a BOM is kept, byte for byte");
  assert.deepEqual(encodeBody(null, "text/plain"), { body: null, bodyEncoding: "utf8" });
});

Deno.test("readBody() refuses bodies over the cap, declared or streamed", async () => {
  const tooLarge = (err: unknown) => err instanceof KilnError && err.code === "PAYLOAD_TOO_LARGE";
  const [declared] = request({ method: "POST", body: "x".repeat(11) });
  await assert.rejects(readBody(declared, 10), tooLarge);
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      controller.enqueue(new Uint8Array(4));
      if (pulled > 100) controller.close();
    },
  });
  const [streamed] = request({ method: "POST", body: stream });
  await assert.rejects(readBody(streamed, 10), tooLarge);
  assert.ok(pulled < 10, `stopped reading early, pulled ${pulled} chunks`);
  const [exact] = request({ method: "POST", body: "x".repeat(10) });
  assert.equal((await readBody(exact, 10))?.length, 10);
  const [empty] = request({ method: "POST", body: "" });
  assert.equal(await readBody(empty, 10), null);
  const [none] = request();
  assert.equal(await readBody(none, 10), null);
});

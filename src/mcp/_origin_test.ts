import assert from "node:assert/strict";
import { OriginPolicy } from "./_origin.ts";
import { bearerChallenge, publicBase } from "./_resource_metadata.ts";
import { KilnError } from "../core/mod.ts";

function req(host: string, origin?: string): Request {
  return new Request("http://kiln.test/mcp", {
    headers: { host, ...(origin ? { origin } : {}) },
  });
}

Deno.test("OriginPolicy allows loopback Hosts on any port and refuses others by default", () => {
  const policy = new OriginPolicy();
  for (const host of ["localhost", "localhost:8080", "127.0.0.1:1", "[::1]:9000", "LOCALHOST"]) {
    assert.equal(policy.rejection(req(host)), null, host);
  }
  for (const host of ["evil.example.com", "evil.example.com:80", "127.0.0.2", "[::2]:1", "[::1"]) {
    assert.match(policy.rejection(req(host)) ?? "", /Host header/, host);
  }
});

Deno.test("OriginPolicy adds configured hosts, the public URL's host, and `*` switches it off", () => {
  const policy = new OriginPolicy({
    allowedHosts: ["kiln.internal:8080"],
    publicUrl: "https://kiln.example.com/",
  });
  assert.equal(policy.rejection(req("kiln.internal:9999")), null);
  assert.equal(policy.rejection(req("kiln.example.com")), null);
  assert.notEqual(policy.rejection(req("other.example.com")), null);
  assert.equal(new OriginPolicy({ allowedHosts: ["*"] }).rejection(req("any.where")), null);
});

Deno.test("OriginPolicy accepts same-origin, loopback and listed origins, nothing else", () => {
  const policy = new OriginPolicy({ allowedOrigins: ["https://inspector.example"] });
  const host = "localhost:8080";
  for (
    const origin of ["http://localhost:8080", "http://127.0.0.1:3000", "https://inspector.example"]
  ) {
    assert.equal(policy.rejection(req(host, origin)), null, origin);
  }
  for (
    const origin of ["null", "http://evil.example", "file://x", "https://inspector.example.evil"]
  ) {
    assert.match(policy.rejection(req(host, origin)) ?? "", /Origin/, origin);
  }
  assert.equal(policy.rejection(req(host)), null, "non-browser clients send no Origin");
});

Deno.test("OriginPolicy CORS headers expose the session header only to browser requests", () => {
  const policy = new OriginPolicy();
  assert.deepEqual(policy.corsHeaders(req("localhost")), {});
  const cors = policy.corsHeaders(req("localhost", "http://localhost:6274"));
  assert.equal(cors["Access-Control-Allow-Origin"], "http://localhost:6274");
  assert.match(cors["Access-Control-Expose-Headers"], /Mcp-Session-Id/);
});

Deno.test("bearerChallenge() points at /mcp metadata and flags refused tokens", () => {
  const err = new KilnError("UNAUTHORIZED", 'invalid "token"');
  const base = publicBase(new Request("http://localhost:8080/mcp?app=x"), undefined);
  assert.equal(
    bearerChallenge(base, err, false),
    'Bearer resource_metadata="http://localhost:8080/.well-known/oauth-protected-resource/mcp"',
  );
  assert.match(bearerChallenge(base, err, true), /error="invalid_token", error_description=/);
  assert.equal(
    publicBase(req("localhost"), "https://kiln.example.com/x"),
    "https://kiln.example.com",
  );
});

import assert from "node:assert/strict";
import { ADMIN_TOKEN, startKiln } from "../../tests/_support/kiln.ts";

const ORIGIN = "http://kiln.test";

/** Signs in through `POST /admin/session`; answers the cookie pair and the CSRF token. */
async function signIn(handler: (r: Request) => Response | Promise<Response>) {
  const res = await handler(
    new Request(`${ORIGIN}/admin/session`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: ORIGIN },
      body: JSON.stringify({ token: ADMIN_TOKEN }),
    }),
  );
  assert.equal(res.status, 201);
  const setCookie = res.headers.get("set-cookie") ?? "";
  const body = await res.json();
  return { setCookie, cookie: setCookie.split(";")[0], csrf: body.csrfToken as string };
}

function req(path: string, init: RequestInit & { headers?: Record<string, string> } = {}) {
  return new Request(`${ORIGIN}${path}`, init);
}

Deno.test("sign-in sets an HTTP-only SameSite=Strict cookie and refuses other tokens", async () => {
  const t = await startKiln();
  try {
    const { setCookie, csrf } = await signIn(t.kiln.handler);
    assert.match(setCookie, /^kiln_admin_session=[A-Za-z0-9_-]{43};/);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.match(setCookie, /Path=\/admin/);
    assert.match(setCookie, /Path=\/v1/);
    assert.doesNotMatch(setCookie, /Path=\/[;,]|Path=\/$/, "not sent to /apps or /mcp");
    assert.ok(csrf.length > 20);
    const bad = await t.raw(req("/admin/session", {
      method: "POST",
      headers: { "content-type": "application/json", origin: ORIGIN },
      body: JSON.stringify({ token: "wrong-token-0123456789" }),
    }));
    assert.equal(bad.status, 401);
    assert.equal((await bad.json()).error.code, "UNAUTHORIZED");
    assert.equal(bad.headers.get("set-cookie"), null);
  } finally {
    await t.close();
  }
});

Deno.test("sign-in from another origin is refused", async () => {
  const t = await startKiln();
  try {
    const res = await t.raw(req("/admin/session", {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://evil.test" },
      body: JSON.stringify({ token: ADMIN_TOKEN }),
    }));
    assert.equal(res.status, 403);
    assert.equal((await res.json()).error.code, "CSRF_REJECTED");
  } finally {
    await t.close();
  }
});

Deno.test("a session cookie acts as the admin on /v1: GETs need only the cookie", async () => {
  const t = await startKiln();
  try {
    const { cookie, csrf } = await signIn(t.kiln.handler);
    const list = await t.raw(req("/v1/apps", { headers: { cookie } }));
    assert.equal(list.status, 200);
    const session = await t.raw(req("/admin/session", { headers: { cookie } }));
    assert.equal((await session.json()).csrfToken, csrf, "the panel can read its CSRF token back");
    const none = await t.raw(req("/v1/apps"));
    assert.equal(none.status, 401);
  } finally {
    await t.close();
  }
});

Deno.test("unsafe /v1 requests with the cookie need the CSRF header and a same-origin Origin", async () => {
  const t = await startKiln();
  try {
    const { cookie, csrf } = await signIn(t.kiln.handler);
    const body = JSON.stringify({
      files: {
        "app_definition.yaml": "appId: a1\ndisplayName: A\nversion: 1.0.0\n",
        "component_registry.yaml": "components: []\n",
      },
    });
    const post = (headers: Record<string, string>) =>
      t.raw(req("/v1/apps", {
        method: "POST",
        headers: { "content-type": "application/json", cookie, ...headers },
        body,
      }));
    const noCsrf = await post({ origin: ORIGIN });
    assert.equal(noCsrf.status, 403);
    assert.equal((await noCsrf.json()).error.code, "CSRF_REJECTED");
    const wrongCsrf = await post({ origin: ORIGIN, "x-kiln-csrf": "nope" });
    assert.equal(wrongCsrf.status, 403);
    const crossSite = await post({ origin: "http://evil.test", "x-kiln-csrf": csrf });
    assert.equal(crossSite.status, 403);
    assert.match((await crossSite.json()).error.message, /cross-origin/);
    const fetchSite = await post({ "sec-fetch-site": "cross-site", "x-kiln-csrf": csrf });
    assert.equal(fetchSite.status, 403);
    const good = await post({
      origin: ORIGIN,
      "x-kiln-csrf": csrf,
      "sec-fetch-site": "same-origin",
    });
    assert.equal(good.status, 201, await good.clone().text());
  } finally {
    await t.close();
  }
});

Deno.test("sign-out ends the session and clears the cookie; it needs the CSRF header", async () => {
  const t = await startKiln();
  try {
    const { cookie, csrf } = await signIn(t.kiln.handler);
    const forged = await t.raw(req("/admin/session", { method: "DELETE", headers: { cookie } }));
    assert.equal(forged.status, 403);
    const out = await t.raw(req("/admin/session", {
      method: "DELETE",
      headers: { cookie, origin: ORIGIN, "x-kiln-csrf": csrf },
    }));
    assert.equal(out.status, 204);
    const cleared = out.headers.get("set-cookie") ?? "";
    assert.match(cleared, /kiln_admin_session=;.*Max-Age=0.*Path=\/admin/);
    assert.match(cleared, /kiln_admin_session=;.*Max-Age=0.*Path=\/v1/);
    const after = await t.raw(req("/v1/apps", { headers: { cookie } }));
    assert.equal(after.status, 401);
  } finally {
    await t.close();
  }
});

Deno.test("a bearer token still wins over a cookie, and a bad bearer is not rescued by one", async () => {
  const t = await startKiln();
  try {
    const { cookie } = await signIn(t.kiln.handler);
    const res = await t.raw(req("/v1/apps", {
      headers: { cookie, authorization: "Bearer wrong-token-0123456789" },
    }));
    assert.equal(res.status, 401);
  } finally {
    await t.close();
  }
});

Deno.test("the shell carries the CSRF token of a live session only, never the session id", async () => {
  const t = await startKiln();
  try {
    const anon = await (await t.raw(req("/admin/apps"))).text();
    assert.doesNotMatch(anon, /kiln-session/);
    const { cookie, csrf } = await signIn(t.kiln.handler);
    const res = await t.raw(req("/admin/apps", { headers: { cookie } }));
    assert.equal(res.headers.get("cache-control"), "no-store");
    const html = await res.text();
    assert.match(html, new RegExp(`<meta name="kiln-session" content="[^"]*${csrf}`));
    assert.ok(!html.includes(cookie.split("=")[1]), "the session id is not in the page");
  } finally {
    await t.close();
  }
});

Deno.test("/admin answers the shell with a strict CSP, and the embedded assets", async () => {
  const t = await startKiln();
  try {
    const page = await t.raw(req("/admin/apps/anything"));
    assert.equal(page.status, 200);
    const csp = page.headers.get("content-security-policy") ?? "";
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    const html = await page.text();
    const src = /src="(\/admin\/assets\/app\.js\?v=[0-9a-f]+)"/.exec(html)?.[1];
    assert.ok(src, html);
    const js = await t.raw(req(src));
    assert.equal(js.status, 200);
    assert.match(js.headers.get("content-type") ?? "", /javascript/);
    assert.match(js.headers.get("cache-control") ?? "", /immutable/);
    assert.ok((await js.text()).length > 10_000);
    const css = await t.raw(req("/admin/assets/app.css"));
    assert.match(await css.text(), /uplot/);
    assert.equal((await t.raw(req("/admin/assets/nope.js"))).status, 404);
  } finally {
    await t.close();
  }
});

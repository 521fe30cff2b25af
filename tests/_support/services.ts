/**
 * Tests that need an outside service (Redis, Docker) skip with a one-line reason when it is
 * missing, so `deno task test` works on a bare laptop, and fail loudly when CI says the service
 * must be there (`KILN_TEST_REQUIRE=redis,docker`), so a broken CI service is never a silent skip.
 */

/** The services a test can require; `KILN_TEST_REQUIRE` lists them comma-separated. */
export type ServiceName = "redis" | "docker" | "haproxy" | "promtool" | "cgroups";

/** Whether `KILN_TEST_REQUIRE` demands this service. */
export function isRequired(name: ServiceName): boolean {
  const list = Deno.env.get("KILN_TEST_REQUIRE") ?? "";
  return list.split(",").map((s) => s.trim().toLowerCase()).includes(name);
}

/**
 * Probes a service once; returns the `ignore` flag for the tests that use it. When the service is
 * missing but required, registers one failing test that says so and ignores the rest.
 * `where` (e.g. the URL) only makes the message clearer.
 */
export async function requireService(
  name: ServiceName,
  probe: () => Promise<boolean>,
  where?: string,
): Promise<{ ignore: boolean }> {
  let reachable = false;
  let why = "";
  try {
    reachable = await probe();
  } catch (err) {
    why = err instanceof Error ? err.message : String(err);
  }
  if (reachable) return { ignore: false };
  const missing = `no ${name}${where ? ` at ${where}` : ""}${why ? ` (${why})` : ""}`;
  if (isRequired(name)) {
    Deno.test(`${name} is reachable (KILN_TEST_REQUIRE lists it)`, () => {
      throw new Error(`${name} is required by KILN_TEST_REQUIRE but there is ${missing}`);
    });
  } else {
    console.error(
      `skipping ${name} tests: ${missing} (set KILN_TEST_REQUIRE=${name} to make this a failure)`,
    );
  }
  return { ignore: true };
}

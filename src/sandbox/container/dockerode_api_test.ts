import assert from "node:assert/strict";
import { dockerAvailable } from "../../../tests/_support/docker.ts";
import { DockerodeApi } from "./dockerode_api.ts";
import { DENO_RUNNER_IMAGE } from "./images.ts";

const docker = new DockerodeApi();
const { ignore } = await dockerAvailable(docker);

Deno.test({
  name: "DockerodeApi reads images and containers, a missing one as null or false",
  ignore,
  async fn() {
    await docker.ping();
    assert.equal(await docker.imageExists(DENO_RUNNER_IMAGE), true);
    assert.match((await docker.imageId(DENO_RUNNER_IMAGE)) ?? "", /^sha256:[0-9a-f]{64}$/);
    assert.equal(typeof (await docker.imageLabels(DENO_RUNNER_IMAGE)), "object");
    const missing = "kiln/no-such-image:0.0.0";
    assert.equal(await docker.imageExists(missing), false);
    assert.equal(await docker.imageId(missing), null);
    assert.equal(await docker.imageLabels(missing), null);
    assert.equal(await docker.inspect("kiln-no-such-container"), null);
    assert.deepEqual(await docker.list({ "kiln.test": crypto.randomUUID() }), []);
  },
});

Deno.test({
  name: "DockerodeApi lists and inspects a container it ran, by label",
  ignore,
  async fn() {
    const label = crypto.randomUUID();
    const dir = await Deno.makeTempDir({ prefix: "kiln-dockerode-" });
    const id = await docker.run({
      name: `kiln-dockerode-test-${label.slice(0, 8)}`,
      image: DENO_RUNNER_IMAGE,
      labels: { "kiln.test": label },
      env: [],
      user: "65534:65534",
      cmd: ["sleep", "30"],
      network: false,
      tmpfsBytes: 1 << 20,
      memoryBytes: 64 << 20,
      nanoCpus: 100_000_000,
      pidsLimit: 16,
      socketDir: dir,
      volumes: [],
    });
    try {
      const [found] = await docker.list({ "kiln.test": label });
      assert.equal(found?.id, id);
      assert.equal(found.labels["kiln.test"], label);
      const state = await docker.inspect(id);
      assert.ok(state, "the container it ran is found");
      assert.equal(typeof state.running, "boolean");
    } finally {
      await docker.remove(id);
      await Deno.remove(dir, { recursive: true });
    }
    assert.equal(await docker.inspect(id), null, "gone once removed");
  },
});

Deno.test("DockerodeApi: an Engine socket that is not there fails the ping", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(new DockerodeApi(`${dir}/docker.sock`).ping());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

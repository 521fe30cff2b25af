import { silentLogger } from "../../core/mod.ts";
import { runTierConformance } from "../tier_common_case.ts";
import { ContainerTier } from "./container_tier.ts";
import { DockerodeApi } from "./dockerode_api.ts";
import { dockerAvailable, testSocketRoot } from "../../../tests/_support/docker.ts";

const docker = new DockerodeApi();
const { ignore } = await dockerAvailable(docker);

runTierConformance(
  "container tier",
  "esm",
  () =>
    Promise.resolve(
      new ContainerTier({
        docker,
        logger: silentLogger,
        socketRoot: testSocketRoot(),
        maintenanceIntervalMs: 0,
        poolDefaults: { minInstances: 1, maxInstances: 2 },
      }),
    ),
  { ignore },
);

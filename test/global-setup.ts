/** Builds the gateway bundle once per test run: integration tests start what the image runs. */
import { buildGateway } from "../gateway-image/build";

export default async function globalSetup(): Promise<void> {
  await buildGateway();
}

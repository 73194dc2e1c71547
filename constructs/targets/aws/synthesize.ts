/** The AWS target's files: per region, the OpenAPI-with-extensions body of each served API. */
import { canonicalJson } from "../../manifest/canonical-json";
import type { GatewayConfig } from "../../manifest/schema";
import { servedApis } from "./capabilities";
import type { AwsTargetConfig } from "./config";
import { openApiWithExtensions } from "./openapi-with-extensions";

export interface AwsFile {
  /** Relative to `dist/aws/`: `<region>/<api id>.json`. */
  readonly path: string;
  readonly contents: string;
}

/** One file per region × served API, in region then API order. */
export function synthesizeAws(manifest: GatewayConfig, config: AwsTargetConfig): AwsFile[] {
  return config.regions.flatMap((region) =>
    servedApis(manifest, config).map((api) => ({ path: `${region.name}/${api.id}.json`, contents: canonicalJson(openApiWithExtensions(manifest, api, config, region)) })),
  );
}

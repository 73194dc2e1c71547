/**
 * The k6 scripts `turnpike synth` writes to `<out>/loadtests/<api id>.js`: one per API with an
 * SLO. An API whose requests cannot be built (a required parameter with neither example nor
 * schema, a bad `x-turnpike-load-weight`) is a problem naming the API and the operation.
 */
import type { GatewayConfig } from "../../constructs/manifest/schema";
import { ScenarioError, apisWithSlos, loadTestModel } from "../scenario/scenario-model";
import { k6Script } from "./k6-script";

export interface LoadTestFile {
  /** `<api id>.js`, relative to `<out>/loadtests/`. */
  readonly path: string;
  readonly contents: string;
}

export interface LoadTestProblem {
  readonly api: string;
  readonly message: string;
}

export function synthesizeLoadTests(manifest: GatewayConfig): { files: LoadTestFile[]; problems: LoadTestProblem[] } {
  const files: LoadTestFile[] = [];
  const problems: LoadTestProblem[] = [];
  for (const api of apisWithSlos(manifest)) {
    try {
      files.push({ path: `${api.id}.js`, contents: k6Script(loadTestModel(manifest, api.id)) });
    } catch (error) {
      if (!(error instanceof ScenarioError)) throw error;
      problems.push({ api: api.id, message: error.message });
    }
  }
  return { files: problems.length > 0 ? [] : files, problems };
}

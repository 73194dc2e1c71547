/**
 * A small project in a real git repository, for `turnpike diff`: one API on an items contract,
 * a plan, a product, a consumer and a Kubernetes and an AWS target. Tests commit it as the base,
 * change it, and diff.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { itemsContract } from "../helpers/declaration";
import { tempProject } from "../helpers/cli";

type Json = Record<string, unknown>;

/** What the fixture's declaration is made of; tests change these between commits. */
export interface FixtureSettings {
  /** Body of the `pro` plan's props. */
  readonly proPlan: string;
  /** Extra declaration statements (inside the function, `p` is the Platform, `items` the API, `commerce` the product). */
  readonly extra: string;
}

export const BASE_SETTINGS: FixtureSettings = {
  proPlan: 'title: "Pro", rateLimit: { requests: 100, perSeconds: 1 }, pricing: { model: "flat", monthlyPrice: 49, currency: "USD" }',
  extra: "",
};

export function appModule(settings: FixtureSettings): string {
  return `import { Api, AwsGateway, Consumer, KubernetesGateway, OpenApi, Plan, Platform, Product, apiKey } from "turnpike";
export default () => {
  const p = new Platform("shop");
  const pro = new Plan(p, "pro", { ${settings.proPlan} });
  const items = new Api(p, "items", { version: "1.0.0", owner: "team-items", contract: OpenApi.fromFile("contracts/items.json"), upstream: { targets: [{ url: "http://items.internal:8080" }] }, policies: [apiKey()] });
  const commerce = new Product(p, "commerce", { title: "Commerce", apis: [items], plans: [pro] });
  new Consumer(p, "web", { subscriptions: [{ product: commerce, plan: pro }] });
  new KubernetesGateway(p, "kubernetes", { ingress: { style: "ingress", hostnames: ["api.shop.example"] }, regions: [{ name: "eu-west-1" }] });
  new AwsGateway(p, "aws", { regions: [{ name: "eu-west-1" }] });
  ${settings.extra}
  return p;
};
`;
}

/** A git repository holding the fixture project, committed once; returns its root. */
export function committedProject(contract: Json = itemsContract(), settings: FixtureSettings = BASE_SETTINGS): string {
  const root = tempProject({
    "turnpike.json": '{"app":"app.ts","output":"out"}',
    "contracts/items.json": JSON.stringify(contract, null, 2),
    "app.ts": appModule(settings),
    ".gitignore": "out/\n",
  });
  git(root, "init", "--quiet", "--initial-branch=main");
  git(root, "add", ".");
  git(root, "commit", "--quiet", "-m", "base");
  return root;
}

/** Rewrites the project's contract and declaration in the working tree (not committed). */
export function changeProject(root: string, contract: Json, settings: FixtureSettings): void {
  writeFileSync(join(root, "contracts/items.json"), JSON.stringify(contract, null, 2));
  // The fixture's app module was rewritten by tempProject to import Turnpike by absolute path: keep that.
  const turnpikeImport = /from ("[^"]+constructs\/index")/.exec(readFileSync(join(root, "app.ts"), "utf8"))![1]!;
  writeFileSync(join(root, "app.ts"), appModule(settings).replace('from "turnpike"', `from ${turnpikeImport}`));
}

export function git(root: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, GIT_AUTHOR_NAME: "Test", GIT_AUTHOR_EMAIL: "test@example.com", GIT_COMMITTER_NAME: "Test", GIT_COMMITTER_EMAIL: "test@example.com", GIT_CONFIG_NOSYSTEM: "1", HOME: root },
  });
}

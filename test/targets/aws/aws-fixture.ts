/**
 * A small declaration the AWS target can serve natively: one items API behind API keys, two
 * plans, consumers with keys in Secrets Manager and in the environment, two regions.
 */
import { AwsGateway, type AwsGatewayProps, Consumer, Credential, OpenApi, Plan, Platform, Product, Secret, apiKey, cache, cors, rateLimit, requestValidation } from "../../../constructs/index";
import type { GatewayConfig } from "../../../constructs/manifest/schema";
import type { AwsTargetConfig } from "../../../constructs/targets/aws/config";
import { compileManifest } from "../../../constructs/index";
import { itemsApi, itemsContract, testPlatform } from "../../helpers/declaration";

export const REGIONS = ["eu-west-1", "us-east-1"];

export interface AwsFixtureOptions {
  /** Summary of `listItems` in the contract. */
  readonly listItemsSummary?: string;
  /** Makes `listItems` public in the contract (`security: []`): no API key on it. */
  readonly publicListItems?: boolean;
  readonly gateway?: Partial<AwsGatewayProps>;
  /** Extra declarations on the platform and the items API's policies. */
  readonly extend?: (platform: Platform) => void;
  readonly apiPolicies?: unknown[];
  /** Adds an OAuth2 scheme to the contract, required with scope `items:write` (and the API key) by `createItem`. */
  readonly oauthOnCreateItem?: boolean;
  /** Policies of `createItem` besides its rate limit. */
  readonly createItemPolicies?: unknown[];
  /** The items API's SLO. */
  readonly slo?: Record<string, number>;
}

export function awsFixture(options: AwsFixtureOptions = {}): Platform {
  const shop = testPlatform({ regions: REGIONS }, "shop");
  const free = new Plan(shop, "free", { rateLimit: { requests: 10, perSeconds: 1, burst: 20 }, quota: { requests: 10_000, period: "month" } });
  const pro = new Plan(shop, "pro", { rateLimit: { requests: 100, perSeconds: 2, burst: 150 }, quota: { requests: 5_000, period: "day" } });
  const items = itemsApi(shop, "items", {
    contract: OpenApi.fromDocument(
      itemsContract((document) => {
        if (options.listItemsSummary !== undefined) ((document.paths as any)["/items"].get as Record<string, unknown>).summary = options.listItemsSummary;
        if (options.oauthOnCreateItem) {
          const components = document.components as { securitySchemes: Record<string, unknown> };
          components.securitySchemes.oauth = { type: "oauth2", flows: { clientCredentials: { tokenUrl: "https://auth.shop.example/token", scopes: { "items:write": "Create items" } } } };
          ((document.paths as any)["/items"].post as Record<string, unknown>).security = [{ ApiKeyAuth: [], oauth: ["items:write"] }];
        }
        if (options.publicListItems) ((document.paths as any)["/items"].get as Record<string, unknown>).security = [];
      }),
    ),
    policies: (options.apiPolicies ?? [apiKey(), requestValidation(), cors({ origins: ["https://a.example", "https://b.example"] })]) as never,
    operations: { listItems: { policies: [cache({ ttlSeconds: 30, varyHeaders: ["accept-language"] })] }, createItem: { policies: [rateLimit({ requests: 5, perSeconds: 1, burst: 8 }), ...((options.createItemPolicies ?? []) as never[])] } },
    ...(options.slo ? { slo: options.slo } : {}),
  });
  const shopProduct = new Product(shop, "shop", { apis: [items], plans: [free, pro] });
  new Consumer(shop, "partner", {
    subscriptions: [{ product: shopProduct, plan: pro }],
    credentials: [Credential.apiKey({ secret: Secret.fromAwsSecretsManager("shop/partner", "apiKey") })],
  });
  new Consumer(shop, "hobbyist", { subscriptions: [{ product: shopProduct, plan: free }], credentials: [Credential.apiKey({ secret: Secret.fromEnv("HOBBYIST_KEY") })] });
  options.extend?.(shop);
  new AwsGateway(shop, "aws", { regions: REGIONS.map((name) => ({ name })), ...options.gateway });
  return shop;
}

/** Compiles a fixture; fails with its diagnostics when it does not compile. */
export async function compileAws(platform: Platform): Promise<{ manifest: GatewayConfig; aws: AwsTargetConfig }> {
  const result = await compileManifest(platform);
  if (!result.manifest || !result.targets.aws) throw new Error(`expected the declaration to compile:\n${JSON.stringify(result.diagnostics, null, 2)}`);
  return { manifest: result.manifest, aws: result.targets.aws };
}

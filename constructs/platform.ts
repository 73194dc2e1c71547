/** The root of a declaration: one organisation's API platform. */
import { resolve } from "node:path";
import type { IConstruct } from "constructs";
import { z } from "zod";
import { ipRange, settableHeaderName } from "../policies/common";
import type { PolicyDeclaration } from "../policies/policy";
import type { DeclaredPolicy } from "./declared-policy";
import { TurnpikeConstruct } from "./turnpike-construct";

export interface PlatformGatewayProps {
  /**
   * Proxies in front of the gateway whose `X-Forwarded-For` and `Forwarded` headers are
   * believed when finding the client address (IP or CIDR ranges), and whose `Client-Cert`
   * headers an `mtls` policy with `acceptFromTrustedProxy` accepts.
   * @default [] (the TCP peer is the client)
   */
  readonly trustedProxies?: string[];
  /**
   * Header carrying the request id, kept when sent and generated otherwise: an RFC 9110
   * token, not a hop-by-hop header; written lower-case in the manifest.
   * @default "x-request-id"
   */
  readonly requestIdHeader?: string;
}

export interface PlatformProps {
  /**
   * Display name.
   * @default the construct id
   */
  readonly title?: string;
  /**
   * What the platform offers, in Markdown, shown on the portal's home page.
   * @default ""
   */
  readonly description?: string;
  /**
   * Regions (or clusters) the platform is deployed to, e.g. `["eu-west-1", "us-east-1"]`.
   * @default []
   */
  readonly regions?: string[];
  /** Gateway-wide settings. */
  readonly gateway?: PlatformGatewayProps;
  /**
   * Policies for every API; an API or operation declaring the same policy replaces it.
   * @default []
   */
  readonly policies?: PolicyDeclaration[];
  /**
   * Directory contract paths in the manifest are written relative to.
   * @default the current working directory
   */
  readonly rootDir?: string;
}

const platformPropsSchema = z.strictObject({
  title: z.string().min(1).optional(),
  description: z.string().optional(),
  regions: z
    .array(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "a region is lower-case letters, digits and -, e.g. eu-west-1"))
    .refine((regions) => new Set(regions).size === regions.length, { message: "regions are listed once each" })
    .optional(),
  gateway: z
    .strictObject({
      trustedProxies: z.array(ipRange).optional(),
      requestIdHeader: settableHeaderName.optional(),
    })
    .optional(),
  policies: z.array(z.unknown()).optional(),
  rootDir: z.string().min(1).optional(),
});

/** Settings of the platform as the manifest carries them. */
export interface PlatformSettings {
  readonly title: string;
  readonly description: string;
  readonly regions: string[];
  readonly trustedProxies: string[];
  readonly requestIdHeader: string;
}

export class Platform extends TurnpikeConstruct {
  /** The platform a construct belongs to; throws if it is not inside one. */
  static of(construct: IConstruct): Platform {
    const root = construct.node.root;
    if (!(root instanceof Platform)) {
      throw new Error(`${construct.node.path || "construct"} is not inside a Platform: create it with a Platform (or a construct inside one) as its scope`);
    }
    return root;
  }

  /** Directory contract paths are made relative to. */
  readonly rootDir: string;
  /** @internal */
  readonly settings: PlatformSettings | undefined;
  /** @internal */
  readonly declaredPolicies: readonly DeclaredPolicy[];

  constructor(id: string, props: PlatformProps = {}) {
    super(undefined as never, id);
    this.checkName(id);
    const parsed = this.parseProps(platformPropsSchema, props);
    this.rootDir = resolve(parsed?.rootDir ?? process.cwd());
    this.settings = parsed && {
      title: parsed.title ?? id,
      description: parsed.description ?? "",
      regions: [...(parsed.regions ?? [])].sort(),
      trustedProxies: [...new Set(parsed.gateway?.trustedProxies ?? [])].sort(),
      requestIdHeader: parsed.gateway?.requestIdHeader ?? "x-request-id",
    };
    this.declaredPolicies = this.parsePolicies(props.policies, "platform");
  }
}

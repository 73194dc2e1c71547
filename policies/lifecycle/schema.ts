/**
 * API lifecycle at the gateway: `Deprecation`, `Sunset` and successor `Link` headers on a
 * deprecated API, `410 Gone` with a link to the successor on a retired one. The compiler adds
 * this policy from the API's lifecycle; it is not declared.
 */
import { z } from "zod";
import { basePath } from "../common";
import { definePolicy } from "../policy";

export const lifecycleOptions = z.strictObject({
  /** The API's lifecycle state. */
  state: z.enum(["deprecated", "retired"]),
  /** Date the API was deprecated (`Deprecation` header), ISO 8601; `null` when not declared. */
  deprecatedSince: z.iso.date().nullable(),
  /** Date the API stops (`Sunset` header, RFC 8594), ISO 8601; `null` when not declared. */
  sunset: z.iso.date().nullable(),
  /** The API that replaces this one; `null` when none is declared. */
  successor: z
    .strictObject({
      /** Manifest id of the successor API. */
      api: z.string(),
      /** Its version. */
      version: z.string(),
      /** Its base path on the gateway, e.g. `/orders/v2`. */
      basePath,
    })
    .nullable(),
});

export const lifecyclePolicy = definePolicy({
  name: "lifecycle",
  summary: "Adds Deprecation, Sunset and successor Link headers to a deprecated API; answers 410 Gone for a retired one.",
  phases: ["access", "response"],
  priority: 150,
  levels: [],
  options: lifecycleOptions,
});

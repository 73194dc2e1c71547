/**
 * Input checks of the control store, shared by both backends: bad input is an `invalid-input`
 * {@link ControlStoreError} listing every field that is wrong, before anything is written.
 */
import { z } from "zod";
import { ControlStoreError, type FieldError, SUBSCRIPTION_STATES } from "./control-store";

const slug = z
  .string()
  .max(63)
  .regex(/^[a-z]([a-z0-9-]*[a-z0-9])?$/, "lower-case letters, digits and -, starting with a letter and not ending with -");
const name = z.string().trim().min(1, "must not be empty").max(200);
const isoTime = z.iso.datetime({ offset: true, message: "an ISO 8601 date and time, e.g. 2030-01-31T00:00:00Z" });
const day = z.iso.date("a day as YYYY-MM-DD");

export const newDeveloperSchema = z.strictObject({
  email: z.email("an e-mail address").max(320).transform((email) => email.toLowerCase()),
  name,
  passwordHash: z.string().min(1).max(1000).nullable().optional(),
});

export const developerPatchSchema = z.strictObject({
  email: newDeveloperSchema.shape.email.optional(),
  name: name.optional(),
  status: z.enum(["active", "disabled"]).optional(),
  passwordHash: z.string().min(1).max(1000).nullable().optional(),
});

export const newAppSchema = z.strictObject({
  developerId: z.string().min(1),
  name,
  description: z.string().max(2000).optional(),
  consumerName: slug.optional(),
});

export const appPatchSchema = z.strictObject({ name: name.optional(), description: z.string().max(2000).optional() });

export const newSubscriptionSchema = z.strictObject({
  appId: z.string().min(1),
  product: slug,
  plan: slug,
  state: z.enum(["requested", "active"]).optional(),
});

export const subscriptionStateSchema = z.enum(SUBSCRIPTION_STATES as [string, ...string[]]);

export const newApiKeySchema = z.strictObject({
  appId: z.string().min(1),
  label: z.string().max(200).optional(),
  expiresAt: isoTime.nullable().optional(),
});

export const overlapSecondsSchema = z.number().int().min(0).max(90 * 24 * 3600);

export const newAdminTokenSchema = z
  .strictObject({
    name,
    role: z.enum(["platform-admin", "api-owner", "viewer"]),
    apis: z.array(z.string().min(1)).optional(),
    expiresAt: isoTime.nullable().optional(),
  })
  .superRefine((token, ctx) => {
    const apis = token.apis ?? [];
    if (token.role === "api-owner" && apis.length === 0) ctx.addIssue({ code: "custom", path: ["apis"], message: "an api-owner token names the APIs it may change" });
    if (token.role !== "api-owner" && apis.length > 0) ctx.addIssue({ code: "custom", path: ["apis"], message: `a ${token.role} token is not scoped to APIs` });
  });

export const usageIncrementSchema = z.strictObject({
  consumerId: z.string().min(1),
  day,
  api: z.string().min(1),
  n: z.number().int().min(1),
});

export const usageQuerySchema = z.strictObject({ consumerId: z.string().min(1), from: day, to: day, api: z.string().min(1).optional() });

export const sessionTtlSchema = z.number().int().min(1).max(366 * 24 * 3600);

export const auditQuerySchema = z.strictObject({
  actor: z.string().optional(),
  entityType: z.string().optional(),
  entityId: z.string().optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
  limit: z.number().int().min(1).max(500).optional(),
  cursor: z.string().nullable().optional(),
});

export const declaredConsumerSchema = z.strictObject({
  name: slug,
  displayName: name,
  description: z.string().max(2000),
  subscriptions: z.array(z.strictObject({ product: slug, plan: slug })),
  apiKeys: z.array(z.strictObject({ key: z.string().min(16, "an API key has at least 16 characters").max(512), expiresAt: isoTime.nullable() })),
  keysComplete: z.boolean(),
});

/** The parsed input, or an `invalid-input` error naming every wrong field. */
export function validate<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fieldErrors: FieldError[] = result.error.issues.map((issue) => ({ field: issue.path.map(String).join(".") || "(input)", message: issue.message }));
  throw new ControlStoreError("invalid-input", `invalid ${what}: ${fieldErrors.map((error) => `${error.field}: ${error.message}`).join("; ")}`, fieldErrors);
}

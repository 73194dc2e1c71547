/** The base of every Turnpike construct: validation at construction, problems kept for compile. */
import { Construct } from "constructs";
import type { z } from "zod";
import type { AttachLevel } from "../policies/policy";
import { type DeclaredPolicy, parsePolicyDeclarations } from "./declared-policy";
import { type Diagnostic, Diagnostics, diagnosticsFromZod, suggestSlug } from "./diagnostics";
import { slugSchema } from "./manifest/schema";

const DIAGNOSTICS = Symbol("turnpike.diagnostics");

export abstract class TurnpikeConstruct extends Construct {
  private readonly [DIAGNOSTICS] = new Diagnostics();

  /** Problems found when this construct was created; compile reports them with all others. */
  static diagnosticsOf(construct: TurnpikeConstruct): readonly Diagnostic[] {
    return construct[DIAGNOSTICS].all;
  }

  /** The construct path, e.g. `acme/orders`. */
  get path(): string {
    return this.node.path;
  }

  protected get diagnostics(): Diagnostics {
    return this[DIAGNOSTICS];
  }

  /**
   * Validates props against their schema. Problems are recorded, not thrown, so that one
   * compile reports every problem of the declaration at once.
   */
  protected parseProps<S extends z.ZodType>(schema: S, props: unknown): z.output<S> | undefined {
    const result = schema.safeParse(props, { reportInput: true });
    if (result.success) return result.data;
    for (const diagnostic of diagnosticsFromZod(result.error.issues, { code: "invalid-props", path: this.path, schema })) {
      this.diagnostics.add(diagnostic);
    }
    return undefined;
  }

  /** Checks that a name (by default the construct id) is a lower-case slug. */
  protected checkName(name: string, field?: string): void {
    const result = slugSchema.safeParse(name);
    if (result.success) return;
    const slug = suggestSlug(name);
    this.diagnostics.error({
      code: "invalid-props",
      path: this.path,
      field,
      message: `name "${name}" is not usable in URLs, metric labels and Kubernetes names: ${result.error.issues[0]!.message}`,
      received: `"${name}"`,
      fix: slug ? `use "${slug}"` : undefined,
    });
  }

  protected parsePolicies(declarations: readonly unknown[] | undefined, level: AttachLevel, field = "policies", single = false): DeclaredPolicy[] {
    return parsePolicyDeclarations(declarations, { level, path: this.path, field, single, diagnostics: this.diagnostics });
  }
}

/**
 * Turnpike's deploy-time policy pack: `pulumi preview --policy-pack policies/infrastructure`
 * checks what the AWS target declares against ./rules.ts. Constructing the pack starts the
 * gRPC server the Pulumi CLI talks to, so this module only wires the rules; tests call them.
 */
import { PolicyPack, type ResourceValidationPolicy, type StackValidationPolicy } from "@pulumi/policy";
import { RESOURCE_RULES, STACK_RULES } from "./rules";

const resourcePolicies: ResourceValidationPolicy[] = Object.entries(RESOURCE_RULES).map(([name, rule]) => ({
  name,
  description: rule.description,
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    for (const message of rule.check({ type: args.type, name: args.name, props: args.props as Record<string, unknown> })) reportViolation(message);
  },
}));

const stackPolicies: StackValidationPolicy[] = Object.entries(STACK_RULES).map(([name, rule]) => ({
  name,
  description: rule.description,
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const message of rule.check(args.resources.map((resource) => ({ type: resource.type, name: resource.name, props: resource.props as Record<string, unknown> })))) reportViolation(message);
  },
}));

new PolicyPack("turnpike-infrastructure", { policies: [...resourcePolicies, ...stackPolicies] });

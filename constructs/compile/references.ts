/** Checks a reference from one construct to another stays inside the platform being compiled. */
import type { IConstruct } from "constructs";
import type { TurnpikeConstruct } from "../turnpike-construct";

/** Reports (and returns false) when `construct` belongs to another platform. */
export type InPlatform = (construct: IConstruct, referencedFrom: TurnpikeConstruct, field: string) => boolean;

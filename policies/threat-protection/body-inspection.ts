/**
 * Inspection of a buffered request body by media type: JSON and XML structure limits, and,
 * when the body is a screened location, the injection rules over its decoded text values
 * (JSON keys and strings, form fields, XML after its character references, plain text).
 * Other media types (binary, multipart) are left alone.
 */
import { decodeXmlReferences } from "./decoding";
import { type InjectionRule, matchRule } from "./injection-rules";
import { type JsonLimits, scanJson } from "./json-scanner";
import { screenForm } from "./request-screening";
import { type XmlLimits, scanXml } from "./xml-scanner";

export type BodyKind = "json" | "xml" | "form" | "text";

/** A rejected body: which problem to answer with, and a detail that does not echo the body. */
export interface BodyRejection {
  readonly problem: "threat-detected" | "bad-request";
  /** The check that failed, e.g. `json.maxDepth`, `xml.dtd`, `sql-injection`, `malformed-json`. */
  readonly rule: string;
  readonly detail: string;
}

/** The kind of a body by its `Content-Type`, or null for media types not inspected. */
export function bodyKind(contentType: string | undefined): BodyKind | null {
  if (contentType === undefined) return null;
  const semicolon = contentType.indexOf(";");
  const mediaType = (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  const slash = mediaType.indexOf("/");
  if (slash < 0) return null;
  const type = mediaType.slice(0, slash);
  const subtype = mediaType.slice(slash + 1);
  if (subtype === "json" || subtype.endsWith("+json")) return "json";
  if (subtype === "xml" || subtype.endsWith("+xml")) return "xml";
  if (mediaType === "application/x-www-form-urlencoded") return "form";
  if (type === "text") return "text";
  return null;
}

const JSON_LIMIT_DETAILS: Record<keyof JsonLimits, (limits: JsonLimits) => string> = {
  maxDepth: (limits) => `the JSON body nests objects and arrays deeper than ${limits.maxDepth} levels`,
  maxObjectKeys: (limits) => `a JSON object in the body has more than ${limits.maxObjectKeys} entries`,
  maxKeyLength: (limits) => `a JSON object key in the body is longer than ${limits.maxKeyLength} characters`,
  maxArrayItems: (limits) => `a JSON array in the body has more than ${limits.maxArrayItems} items`,
  maxStringLength: (limits) => `a JSON string in the body is longer than ${limits.maxStringLength} characters`,
};

/**
 * Checks a body. `rules` is null when the body is not a screened location; structure
 * limits apply to JSON and XML bodies either way.
 */
export function inspectBody(body: Buffer, kind: BodyKind, limits: { json: JsonLimits; xml: XmlLimits }, rules: readonly InjectionRule[] | null): BodyRejection | undefined {
  switch (kind) {
    case "json": {
      let matched: InjectionRule | undefined;
      const visit = rules === null ? undefined : (value: string) => (matched = matchRule(rules, value)) !== undefined;
      const scan = scanJson(body, limits.json, visit);
      if (scan.ok) return undefined;
      if (scan.error === "malformed") return { problem: "bad-request", rule: "malformed-json", detail: `the request body is not valid JSON (at byte ${scan.offset})` };
      if (scan.error === "limit") return { problem: "threat-detected", rule: `json.${scan.limit}`, detail: JSON_LIMIT_DETAILS[scan.limit](limits.json) };
      return injection(matched!, "a JSON string in the body");
    }
    case "xml": {
      const text = body.toString("utf8");
      const scan = scanXml(text, limits.xml);
      if (!scan.ok) {
        if (scan.error === "dtd") return { problem: "threat-detected", rule: "xml.dtd", detail: "the XML body has a document type declaration (<!DOCTYPE), which is not accepted" };
        if (scan.error === "depth") return { problem: "threat-detected", rule: "xml.maxDepth", detail: `the XML body nests elements deeper than ${limits.xml.maxDepth} levels` };
        return { problem: "bad-request", rule: "malformed-xml", detail: `the request body is not well-formed XML (at character ${scan.offset})` };
      }
      if (rules === null) return undefined;
      const rule = matchRule(rules, decodeXmlReferences(text));
      return rule === undefined ? undefined : injection(rule, "the XML body");
    }
    case "form": {
      if (rules === null) return undefined;
      const finding = screenForm(rules, body.toString("utf8"));
      return finding === undefined ? undefined : injection(finding.rule, finding.where);
    }
    case "text": {
      if (rules === null) return undefined;
      const rule = matchRule(rules, body.toString("utf8"));
      return rule === undefined ? undefined : injection(rule, "the body");
    }
  }
}

function injection(rule: InjectionRule, where: string): BodyRejection {
  return { problem: "threat-detected", rule: rule.name, detail: `${where} matches the ${rule.label} rule` };
}

/**
 * What the masking policy costs per answer (policies/masking): the body rewrite on documents
 * of three sizes, and where it goes (lossless parse, JSONPath walk, serialization), next to
 * JSON.parse + JSON.stringify of the same text, which would be the lossy way to do it.
 * In-process loops, best of five rounds: the gateway's own per-request cost is measured by the
 * gateway suite, this is the part masking adds.
 */
import { maskBody } from "../../policies/masking/handler";
import { parseJsonDocument, serializeJsonDocument } from "../../policies/masking/json-document";
import { findMatches, parseJsonPath } from "../../policies/masking/json-path";

export interface MaskingBenchRow {
  readonly document: string;
  readonly bytes: number;
  readonly rules: readonly string[];
  /** maskBody: decode UTF-8, parse, apply the rules, serialize. */
  readonly maskUs: number;
  readonly parseUs: number;
  readonly walkUs: number;
  readonly serializeUs: number;
  /** JSON.parse + JSON.stringify of the same text. */
  readonly nativeRoundTripUs: number;
}

const ORDER = {
  id: "ord_5kQx7hT2mZ9wLp3R",
  customerId: "cus_7Hk2Lm9Qp4Rt",
  status: "paid",
  items: [{ sku: "SKU-1001", name: "Single-origin espresso beans, 1 kg", quantity: 2, unitPrice: { amount: "19.95", currency: "EUR" } }],
  total: { amount: "49.90", currency: "EUR" },
  shippingAddress: { name: "Jane Doe", line1: "Rosenthaler Str. 40", city: "Berlin", postalCode: "10178", country: "DE" },
  note: "Please leave the parcel with the neighbours.",
  createdAt: "2025-03-14T09:26:53Z",
};
const ADDRESS_RULES = ["$..shippingAddress.name", "$..shippingAddress.line1"];

/** Microseconds per call of `run`, best of five rounds of `calls`. */
function timeUs(calls: number, run: () => unknown): number {
  for (let i = 0; i < Math.max(1, calls / 10); i++) run();
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) run();
    best = Math.min(best, Number(process.hrtime.bigint() - started) / calls / 1000);
  }
  return best;
}

export function runMaskingBench(): MaskingBenchRow[] {
  const documents: [string, string, readonly string[]][] = [
    ["the gateway benchmark's upstream answer", '{"ok":true,"items":[1,2,3],"message":"hello from the upstream","padding":"xxxxxxxxxxxxxxxxxxxxxxxx"}', ["$.message"]],
    ["a page of 3 orders (the example's orders API)", JSON.stringify({ data: [ORDER, ORDER, ORDER], hasMore: true }), ADDRESS_RULES],
    ["200 orders", JSON.stringify({ data: Array.from({ length: 200 }, () => ORDER) }), ADDRESS_RULES],
  ];
  return documents.map(([document, text, paths]) => {
    const body = Buffer.from(text);
    const calls = body.length > 10_000 ? 200 : 20_000;
    const rules = paths.map((path) => ({ path: parseJsonPath(path), action: "redact" as const, replacement: "****", keepLast: 0 }));
    const parsed = parseJsonDocument(text);
    return {
      document,
      bytes: body.length,
      rules: paths,
      maskUs: timeUs(calls, () => maskBody(body, rules)),
      parseUs: timeUs(calls, () => parseJsonDocument(text)),
      walkUs: timeUs(calls, () => rules.map((rule) => findMatches(parsed, rule.path))),
      serializeUs: timeUs(calls, () => serializeJsonDocument(parsed)),
      nativeRoundTripUs: timeUs(calls, () => JSON.stringify(JSON.parse(text))),
    };
  });
}

export function formatMaskingBench(rows: readonly MaskingBenchRow[], machine: string): string {
  const us = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(0));
  return (
    `masking (${machine}): µs per answer, best of 5 rounds\n` +
    `| document | bytes | rules | masked (maskBody) | lossless parse | JSONPath walk | serialize | JSON.parse + JSON.stringify |\n|---|---|---|---|---|---|---|---|\n` +
    rows.map((row) => `| ${row.document} | ${row.bytes} | ${row.rules.map((rule) => `\`${rule}\``).join(", ")} | ${us(row.maskUs)} | ${us(row.parseUs)} | ${us(row.walkUs)} | ${us(row.serializeUs)} | ${us(row.nativeRoundTripUs)} |`).join("\n") +
    "\n"
  );
}

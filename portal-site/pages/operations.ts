/**
 * The API page's operation blocks: per operation its code samples (written at synth time by
 * httpsnippet, one tab per language, copy buttons) and a try-it form with a field per path,
 * query and header parameter and the JSON body prefilled from the contract's example. The
 * form posts nothing by itself: assets/api.js sends it with fetch to the gateway, with the
 * developer's key or token from the page's credentials fields. Without JavaScript the samples
 * are all shown, one after the other.
 */
import type { Api, GatewayConfig, Operation } from "../../constructs/manifest/schema";
import { GATEWAY_PLACEHOLDER, codeSamples } from "../code-samples";
import { type SafeHtml, html } from "../html";
import { markdown } from "../markdown";
import { type ApiAuth, type OperationCredentials, authOf, bearerHeaderName, credentialsOf } from "../model";
import { type ExampleParameter, type RequestExample, requestExample } from "../request-example";

/** An element id for an operation: its operationId reduced to id-safe characters (unique on the page). */
export function operationAnchors(api: Api): Map<string, string> {
  const anchors = new Map<string, string>();
  const used = new Set<string>();
  api.operations.forEach((operation, index) => {
    let anchor = `op-${operation.operationId.replace(/[^A-Za-z0-9_-]/g, "_")}`;
    if (used.has(anchor)) anchor = `${anchor}-${index}`;
    used.add(anchor);
    anchors.set(operation.operationId, anchor);
  });
  return anchors;
}

/** Code with the placeholder origin marked, so pages served by a gateway show its origin (common.js). */
function withGatewayOrigin(code: string): SafeHtml {
  const parts = code.split(GATEWAY_PLACEHOLDER);
  return html`${parts.map((part, index) => html`${index > 0 ? html`<span data-gateway-origin>${GATEWAY_PLACEHOLDER}</span>` : ""}${part}`)}`;
}

function samplesBlock(anchor: string, operation: Operation, example: RequestExample, credentials: OperationCredentials): SafeHtml {
  const samples = codeSamples(example, credentials);
  return html`<div class="samples" data-samples>
<h4 id="${anchor}-samples-heading">Code samples</h4>
<div class="sample-tabs" role="tablist" aria-labelledby="${anchor}-samples-heading" data-sample-tabs hidden>${samples.map(
    (sample, index) => html`<button type="button" role="tab" id="${anchor}-tab-${sample.language}" aria-controls="${anchor}-sample-${sample.language}" aria-selected="${index === 0 ? "true" : "false"}" tabindex="${index === 0 ? "0" : "-1"}" data-language="${sample.language}">${sample.label}</button>`,
  )}</div>
${samples.map(
  (sample) => html`<div class="sample" role="tabpanel" id="${anchor}-sample-${sample.language}" aria-labelledby="${anchor}-tab-${sample.language}" data-language="${sample.language}">
<p class="sample-label" data-sample-label>${sample.label}</p>
<pre><code id="${anchor}-code-${sample.language}" data-operation="${operation.operationId}">${withGatewayOrigin(sample.code)}</code></pre>
<p class="copy-line"><button type="button" class="secondary" data-copy="${anchor}-code-${sample.language}">Copy</button> <span data-copied role="status"></span></p>
</div>\n`,
)}</div>`;
}

function parameterField(anchor: string, parameter: ExampleParameter, index: number): SafeHtml {
  const id = `${anchor}-param-${index}`;
  // Required parameters start with the example; optional ones show it as a placeholder only.
  return html`<div class="field"><label for="${id}">${parameter.name} <span class="muted">(${parameter.in}${parameter.required ? ", required" : ""})</span></label>
<input id="${id}" name="param-${index}" data-param-in="${parameter.in}" data-param-name="${parameter.name}" value="${parameter.required ? parameter.value : ""}" placeholder="${parameter.value}"${parameter.required ? html` required` : ""} autocomplete="off" spellcheck="false"${parameter.description ? html` aria-describedby="${id}-hint"` : ""}>
${parameter.description ? html`<div class="hint" id="${id}-hint">${markdown(parameter.description, 4)}</div>` : ""}</div>`;
}

/** The credentials an operation's try-it sends, as the form's data attribute (read by api.js). */
function credentialsAttribute(credentials: OperationCredentials): string {
  return JSON.stringify({ apiKey: credentials.apiKey.map((key) => ({ in: key.in, name: key.name })), bearer: [...new Set(credentials.jwt.map((token) => bearerHeaderName(token)))] });
}

function tryItForm(anchor: string, operation: Operation, example: RequestExample, credentials: OperationCredentials): SafeHtml {
  const fields = example.parameters.map((parameter, index) => parameterField(anchor, parameter, index));
  const needs = [...credentials.apiKey.map(() => "your API key"), ...credentials.jwt.map(() => "your access token")];
  return html`<details class="try-it-details" data-try-details>
<summary>Try it: <span class="method">${operation.method}</span> <code>${operation.route}</code></summary>
<form class="try-it" data-try-operation="${operation.operationId}" data-method="${operation.method}" data-route="${operation.route}" data-credentials="${credentialsAttribute(credentials)}">
<p class="hint">Sends a real request through the gateway${needs.length > 0 ? html` with ${[...new Set(needs)].join(" and ")} (the fields above the operations)` : " (no credentials needed)"}.</p>
${fields.length > 0 ? html`<fieldset><legend>Parameters</legend>${fields}</fieldset>` : ""}
${
  example.body !== null
    ? html`<div class="field"><label for="${anchor}-body">Request body <span class="muted">(${example.body.mediaType}${example.body.required ? ", required" : ""})</span></label>
<textarea id="${anchor}-body" name="body" rows="${Math.min(16, Math.max(4, example.body.text.split("\n").length))}" data-media-type="${example.body.mediaType}" spellcheck="false">${example.body.text}</textarea></div>`
    : ""
}
<button type="submit">Send</button>
<div class="error" role="alert" data-try-error></div>
<div class="try-response" aria-live="polite" data-try-response>
<div data-try-result hidden>
<p>Status: <strong data-try-status></strong></p>
<details><summary>Response headers</summary><pre><code data-try-headers></code></pre></details>
<pre><code data-try-body></code></pre>
</div>
</div>
</form>
</details>`;
}

/** Why an operation has no try-it form (or null when it has one). */
function noTryIt(api: Api, credentials: OperationCredentials): string | null {
  if (api.lifecycle === "retired") return "This version is retired: its operations answer 410 Gone.";
  if (credentials.mtls) return "This operation needs a client certificate, which a page cannot present: call it from your own client (the samples above, with your certificate).";
  return null;
}

function operationBlock(api: Api, auth: ApiAuth, anchor: string, operation: Operation): SafeHtml {
  const example = requestExample(api, operation);
  const credentials = credentialsOf(auth, operation.operationId);
  const reason = noTryIt(api, credentials);
  return html`<section class="operation" id="${anchor}" aria-labelledby="${anchor}-heading" data-operation-id="${operation.operationId}">
<h3 id="${anchor}-heading"><span class="method">${operation.method}</span> <code>${operation.route}</code>${operation.summary ? html` <span class="summary">${operation.summary}</span>` : ""}${operation.deprecated ? html` <span class="badge badge-deprecated">Deprecated</span>` : ""}</h3>
${samplesBlock(anchor, operation, example, credentials)}
${reason === null ? tryItForm(anchor, operation, example, credentials) : html`<p class="muted" data-no-try-it>${reason}</p>`}
</section>`;
}

/** The credentials fields every try-it form of the page uses, for the kinds the API's policies need. */
function credentialsFields(auth: ApiAuth, from: (target: string) => string): SafeHtml {
  if (auth.apiKey.length === 0 && auth.jwt.length === 0) return html``;
  return html`<div class="try-credentials form-narrow" data-try-credentials>
<p>Try it sends real requests through the gateway. ${auth.apiKey.length > 0 ? html`Create a key on <a href="${from("account/")}">My apps</a> after subscribing to a plan.` : ""} What you enter stays in this page.</p>
${auth.apiKey.length > 0 ? html`<div class="field"><label for="try-api-key">Your API key</label><input id="try-api-key" autocomplete="off" spellcheck="false"></div>` : ""}
${auth.jwt.length > 0 ? html`<div class="field"><label for="try-token">Your access token (JWT)</label><input id="try-token" autocomplete="off" spellcheck="false"></div>` : ""}
</div>`;
}

/** The operations section's detail: credentials for try-it, then one block per operation. */
export function operationBlocks(manifest: GatewayConfig, api: Api, from: (target: string) => string): SafeHtml {
  const auth = authOf(manifest, api);
  const anchors = operationAnchors(api);
  return html`${api.lifecycle === "retired" ? "" : credentialsFields(auth, from)}
${api.operations.map((operation) => html`${operationBlock(api, auth, anchors.get(operation.operationId)!, operation)}\n`)}`;
}

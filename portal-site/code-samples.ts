/**
 * Code samples per operation, made at synth time by httpsnippet (Kong's snippet generator)
 * from a HAR request: the operation's example request (required parameters, the body
 * example) with the credentials its policies require, written as placeholders. The page
 * replaces the placeholder origin with the gateway's when it is served by one.
 */
import { HTTPSnippet, type HarRequest } from "httpsnippet";
import { type OperationCredentials, bearerHeaderName } from "./model";
import { type RequestExample, fillPath } from "./request-example";

/** The languages shown, in tab order, with the httpsnippet target and client that write them. */
export const SAMPLE_LANGUAGES = [
  { id: "curl", label: "curl", target: "shell", client: "curl" },
  { id: "javascript", label: "JavaScript", detail: "fetch", target: "javascript", client: "fetch" },
  { id: "python", label: "Python", detail: "requests", target: "python", client: "requests" },
  { id: "go", label: "Go", detail: "net/http", target: "go", client: "native" },
  { id: "java", label: "Java", detail: "java.net.http", target: "java", client: "nethttp" },
] as const;

export type SampleLanguage = (typeof SAMPLE_LANGUAGES)[number]["id"];

/**
 * The origin written into samples. The site is generated without knowing where the gateway
 * runs; pages served by the gateway show its origin instead (common.js). Lower case, because
 * URL parsing in httpsnippet lower-cases hosts.
 */
export const GATEWAY_PLACEHOLDER = "https://your-gateway.example";
export const API_KEY_PLACEHOLDER = "YOUR_API_KEY";
export const TOKEN_PLACEHOLDER = "YOUR_ACCESS_TOKEN";

export interface CodeSample {
  readonly language: SampleLanguage;
  readonly label: string;
  readonly code: string;
}

type Pair = { name: string; value: string };

/** The HAR request of an example: required parameters only (optional ones are the developer's choice), credentials as placeholders. */
export function harRequest(example: RequestExample, credentials: OperationCredentials): HarRequest {
  const required = example.parameters.filter((parameter) => parameter.required);
  const headers: Pair[] = [];
  const query: Pair[] = [];
  for (const key of credentials.apiKey) (key.in === "header" ? headers : query).push({ name: key.in === "header" ? key.displayName : key.name, value: API_KEY_PLACEHOLDER });
  for (const token of credentials.jwt) headers.push({ name: bearerHeaderName(token), value: `Bearer ${TOKEN_PLACEHOLDER}` });
  for (const parameter of required) {
    if (parameter.in === "header") headers.push({ name: parameter.name, value: parameter.value });
    else if (parameter.in === "query") query.push({ name: parameter.name, value: parameter.value });
  }
  if (example.body !== null) headers.push({ name: "Content-Type", value: example.body.mediaType });
  return {
    method: example.method,
    url: `${GATEWAY_PLACEHOLDER}${fillPath(example.route, required)}`,
    httpVersion: "HTTP/1.1",
    headers,
    queryString: query,
    cookies: [],
    headersSize: -1,
    bodySize: -1,
    // httpsnippet's type wants postData; a mime type without text is "no body" to every target.
    postData: example.body === null ? { mimeType: "application/octet-stream" } : { mimeType: example.body.mediaType, text: compactJson(example.body.text, example.body.mediaType) },
  };
}

/** JSON bodies go on one line (curl's --data, Go's string literal); the textarea keeps them pretty. */
function compactJson(text: string, mediaType: string): string {
  if (!/json$/.test(mediaType)) return text;
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
}

/** The operation's request in every sample language. */
export function codeSamples(example: RequestExample, credentials: OperationCredentials): CodeSample[] {
  const snippet = new HTTPSnippet(harRequest(example, credentials));
  return SAMPLE_LANGUAGES.map((language) => {
    const output = snippet.convert(language.target, language.client);
    const code = Array.isArray(output) ? output.join("\n") : output;
    if (typeof code !== "string" || code === "") throw new Error(`httpsnippet wrote no ${language.id} sample for ${example.method} ${example.route}`);
    return { language: language.id, label: "detail" in language ? `${language.label} (${language.detail})` : language.label, code };
  });
}

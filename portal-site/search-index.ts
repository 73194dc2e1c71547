/**
 * The catalog's full-text index, built at synth time with MiniSearch and loaded by the
 * browser with the same library (`MiniSearch.loadJS`): the page downloads a ready index instead
 * of indexing every API on each visit.
 */
import MiniSearch, { type Options, type SearchOptions } from "minisearch";
import type { GatewayConfig } from "../constructs/manifest/schema";
import { listedApis } from "./model";

/** One API as indexed. */
export interface SearchDocument {
  readonly id: string;
  readonly title: string;
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly tags: string;
  /** Operation summaries and operationIds. */
  readonly operations: string;
}

/** The index file: the options to load it with, the search options, the index. */
export interface SearchIndexFile {
  readonly options: Options<SearchDocument>;
  readonly searchOptions: SearchOptions;
  readonly index: unknown;
}

const OPTIONS: Options<SearchDocument> = {
  idField: "id",
  fields: ["title", "name", "version", "description", "tags", "operations"],
  storeFields: ["id"],
};

const SEARCH_OPTIONS: SearchOptions = { prefix: true, fuzzy: 0.2, combineWith: "AND", boost: { title: 3, name: 2, tags: 2 } };

export function searchDocuments(manifest: GatewayConfig): SearchDocument[] {
  return listedApis(manifest).map((api) => ({
    id: api.id,
    title: api.title,
    name: api.name,
    version: api.version,
    description: api.description,
    tags: api.tags.join(" "),
    operations: api.operations.map((operation) => `${operation.summary ?? ""} ${operation.operationId}`).join(" \n "),
  }));
}

/** The index of the listed APIs, as the JSON the catalog page fetches. */
export function buildSearchIndex(manifest: GatewayConfig): SearchIndexFile {
  const search = new MiniSearch<SearchDocument>(OPTIONS);
  search.addAll(searchDocuments(manifest));
  return { options: OPTIONS, searchOptions: SEARCH_OPTIONS, index: search.toJSON() };
}

/** Loads a built index once, as the page does, and answers queries with its search options. */
export function searchIndexLoader(file: SearchIndexFile): (query: string) => string[] {
  const search = MiniSearch.loadJS(file.index as ReturnType<MiniSearch["toJSON"]>, file.options);
  return (query) => search.search(query, file.searchOptions).map((result) => String(result.id));
}

/** Searches a built index the way the page does (for tests and tooling). */
export function searchIndex(file: SearchIndexFile, query: string): string[] {
  return searchIndexLoader(file)(query);
}

/**
 * Custom resources (Gateway API, Prometheus operator) have no cdk8s class here (`cdk8s import`
 * needs the network), so they are written against the kubernetes-models interfaces of their
 * CRDs, where a misspelt field is a compile error, and added as plain `ApiObject`s.
 */
import { ApiObject, type ApiObjectMetadata, type Chart } from "cdk8s";

export function addCustomObject<T extends { apiVersion: string; kind: string; metadata?: object }>(chart: Chart, id: string, object: T): ApiObject {
  const { apiVersion, kind, metadata, ...rest } = object;
  return new ApiObject(chart, id, { apiVersion, kind, metadata: metadata as ApiObjectMetadata, ...rest });
}

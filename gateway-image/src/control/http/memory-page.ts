/**
 * Paging of listings the store answers whole (an app's keys, the admin tokens), so every list
 * endpoint has the same `{items, nextCursor}` shape and `limit`/`cursor` parameters.
 */
import type { Page } from "../control-store";
import { fail } from "./control-problem";

/** @default limit 50 */
export function pageOf<T extends { readonly id: string }>(items: readonly T[], request: { limit?: number; cursor?: string }): Page<T> {
  const limit = request.limit ?? 50;
  let start = 0;
  if (request.cursor !== undefined) {
    // The cursor is the id of the last item of the previous page.
    const index = items.findIndex((item) => item.id === request.cursor);
    if (index === -1) fail("bad-request", "the cursor is not one of this listing", { errors: [{ field: "cursor", message: "not a cursor of this listing" }] });
    start = index + 1;
  }
  const slice = items.slice(start, start + limit);
  return { items: slice, nextCursor: start + limit < items.length ? slice.at(-1)!.id : null };
}

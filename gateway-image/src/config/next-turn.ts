/**
 * Resolves after the event loop has polled for I/O at least once: work split by
 * `await nextTurn()` lets the requests that arrived meanwhile run between its parts.
 *
 * One setImmediate is not enough: scheduled from an I/O callback (a file read just
 * completed, a request), it runs in the check phase of the same turn, before the next poll.
 * Scheduled from the check phase, the second one runs in the next turn, after its poll.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

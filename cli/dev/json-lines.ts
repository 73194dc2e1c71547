/** Reads a gateway's stdout as JSON lines; a line that is not JSON comes as `{ msg: text }`. */
import type { Readable } from "node:stream";

export function onJsonLines(stream: Readable, onLine: (line: Record<string, unknown>) => void): void {
  let buffered = "";
  stream.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const text = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        line = { msg: text };
      }
      onLine(line);
    }
  });
}

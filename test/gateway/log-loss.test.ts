/**
 * Logging never stops traffic: when the reader of the gateway's stdout goes away (a log
 * shipper that died), every write fails with EPIPE; the gateway keeps answering, counts the
 * lines it lost in `turnpike_log_lines_dropped_total` and says so once on stderr.
 */
import { itemsApi, testPlatform } from "../helpers/declaration";
import { type RunningGateway, startGateway } from "../helpers/gateway";
import { type TestUpstream, startUpstream } from "../helpers/upstream";

let upstream: TestUpstream;
let gateway: RunningGateway;

beforeAll(async () => {
  upstream = await startUpstream((_request, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"ok":true}');
  });
  // The contract's public operation (GET /health): what is logged does not matter here, only
  // that every request writes a line.
  const platform = testPlatform();
  itemsApi(platform, "items", { upstream: { targets: [{ url: upstream.url }] } });
  gateway = await startGateway(platform);
});

afterAll(async () => {
  await gateway?.stop();
  await upstream?.close();
});

async function droppedLines(): Promise<number> {
  const metrics = await (await fetch(`${gateway.operatorUrl}/metrics`)).text();
  const line = metrics.split("\n").find((text) => text.startsWith("turnpike_log_lines_dropped_total"));
  if (line === undefined) throw new Error(`no turnpike_log_lines_dropped_total in /metrics:\n${metrics}`);
  return Number(line.split(" ").pop());
}

describe("a gateway whose stdout reader went away", () => {
  it("keeps serving, counts the log lines it lost and reports it once on stderr", async () => {
    expect(await droppedLines()).toBe(0);
    // The test's end of the pipe closes: from now on the gateway's writes get EPIPE.
    gateway.process.stdout!.destroy();
    const statuses: number[] = [];
    for (let round = 0; round < 10; round++) {
      const responses = await Promise.all(Array.from({ length: 30 }, () => fetch(`${gateway.url}/items/v1/health`)));
      for (const response of responses) {
        statuses.push(response.status);
        await response.arrayBuffer();
      }
    }
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    // Access lines go out in 4 KiB batches and every 250 ms: wait for the last one.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await droppedLines()).toBeGreaterThanOrEqual(300);
    expect(gateway.process.exitCode).toBeNull();
    const reports = gateway
      .stderr()
      .split("\n")
      .filter((line) => line.includes("log lines lost"));
    expect(reports).toHaveLength(1);
    expect(JSON.parse(reports[0]!)).toMatchObject({ level: 50, code: "EPIPE", service: "turnpike-gateway" });
    // It still shuts down cleanly, its shutdown lines lost as well.
    expect(await gateway.stop()).toBe(0);
  });
});

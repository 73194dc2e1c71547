/** The example organisation in stacks/: it compiles cleanly and is what the issue asks of it. */
import { compileManifest } from "../../constructs/index";
import { acmePlatform } from "../../stacks/acme";

describe("stacks/acme.ts", () => {
  it("compiles with no errors and no warnings", async () => {
    const result = await compileManifest(acmePlatform());
    expect(result.diagnostics).toEqual([]);
    expect(result.manifest?.metadata.name).toBe("acme");
  });
});

/** The Host field check of the gateway's servers (RFC 9112 §3.2; RFC 3986 host and port). */
import fc from "fast-check";
import { hostFieldProblem } from "../../gateway-image/src/http/server/request-headers";

const port = fc.option(fc.integer({ min: 0, max: 65_535 }).map(String), { nil: undefined });
const withPort = (host: string, value: string | undefined): string => (value === undefined ? host : `${host}:${value}`);

describe("hostFieldProblem", () => {
  it("accepts a registered name, an IPv4 address or a bracketed IPv6 address, each with or without a port (property)", () => {
    const host = fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6().map((address) => `[${address}]`));
    fc.assert(
      fc.property(host, port, fc.constantFrom("Host", "host", "HOST"), (name, portText, field) => {
        expect(hostFieldProblem([field, withPort(name, portText), "Accept", "*/*"], true)).toBeNull();
      }),
    );
  });

  it("refuses a value with any character outside host[:port] (property)", () => {
    const forbidden = fc.constantFrom(" ", "/", "?", "#", "@", "\\", '"', "<", ">", "{", "}", "|", "^", "`", "\t");
    fc.assert(
      fc.property(fc.domain(), forbidden, fc.nat(), (name, character, at) => {
        const cut = at % (name.length + 1);
        const value = `${name.slice(0, cut)}${character}${name.slice(cut)}`;
        expect(hostFieldProblem(["Host", value], true)).toMatchObject({ code: "HPE_INVALID_HOST" });
      }),
    );
  });

  it("refuses a second Host field in any case, and a port that is not digits or an unclosed bracket", () => {
    expect(hostFieldProblem(["Host", "a", "X-A", "1", "hOsT", "a"], false)).toEqual({ code: "HPE_INVALID_HOST", message: "the request has more than one Host header" });
    expect(hostFieldProblem(["Host", "a:b:c"], true)).toMatchObject({ code: "HPE_INVALID_HOST" });
    expect(hostFieldProblem(["Host", "a:80x"], true)).toMatchObject({ code: "HPE_INVALID_HOST" });
    expect(hostFieldProblem(["Host", "[::1"], true)).toMatchObject({ code: "HPE_INVALID_HOST" });
  });

  it("asks HTTP/1.1 requests for a Host and not HTTP/1.0 ones; an empty Host is allowed (RFC 9112 §3.2)", () => {
    expect(hostFieldProblem(["Accept", "*/*"], true)).toMatchObject({ code: "HPE_MISSING_HOST" });
    expect(hostFieldProblem(["Accept", "*/*"], false)).toBeNull();
    expect(hostFieldProblem(["Host", ""], true)).toBeNull();
  });
});

/** The request path's one reading (request-target.ts): what is routed is what is forwarded. */
import fc from "fast-check";
import { TARGET_ENCODED_SLASH, TARGET_UNUSUAL, normalizeTarget, targetShape } from "../../gateway-image/src/http/request-target";

const resolved = (url: string): string => {
  const target = normalizeTarget(url);
  if ("refused" in target) throw new Error(`refused ${url}: ${target.refused}`);
  return target.url;
};

describe("normalizeTarget", () => {
  it.each([
    ["/a/b/../c", "/a/c"],
    ["/a/./b", "/a/b"],
    ["/a/b/..", "/a/"],
    ["/a/b/.", "/a/b/"],
    ["/a/b/../", "/a/"],
    ["/..", "/"],
    ["/../../a", "/a"],
    ["/a/%2e%2e/b", "/b"],
    ["/a/%2E%2e/b", "/b"],
    ["/a/.%2e/b", "/b"],
    ["/a/%2e/b", "/a/b"],
    ["/public/x/../../admin?x=../y", "/admin?x=../y"],
    ["/a//../b", "/a/b"],
  ])("resolves the dot segments of %s to %s (RFC 3986 §5.2.4)", (url, expected) => {
    expect(resolved(url)).toBe(expected);
  });

  it.each(["/a/b", "/.well-known/openid-configuration", "/a/.hidden", "/a/..b", "/a/b..", "/file.tar.gz", "/a//b", "/a;v=1/b", "/caf%C3%A9/%20x%3A", "/a?q=/../x&b=%41"])("leaves %s as it is, the same string", (url) => {
    const target = normalizeTarget(url);
    expect(target).toEqual({ url, encodedSlash: false });
  });

  it.each([
    ["/a/b#frag", "fragment"],
    ["/a/b?x=1#frag", "fragment"],
    ["/a\\..\\admin", "backslash"],
    ["/public/..;/admin", "servlet"],
    ["/public/.;x/admin", "servlet"],
    ["/public/%2e%2e;jsessionid=1/admin", "servlet"],
  ])("refuses %s (%s)", (url, reason) => {
    const target = normalizeTarget(url);
    expect("refused" in target && target.refused).toContain(reason);
  });

  it("reads an absolute-form target as its path and query, and reports its host for the Host check", () => {
    expect(normalizeTarget("http://api.example/a/../b?x=1")).toEqual({ url: "/b?x=1", encodedSlash: false, authority: "api.example" });
    expect(normalizeTarget("HTTPS://Api.Example:8443")).toEqual({ url: "/", encodedSlash: false, authority: "Api.Example:8443" });
    expect(normalizeTarget("http://api.example?q=1")).toEqual({ url: "/?q=1", encodedSlash: false, authority: "api.example" });
    expect(normalizeTarget("http://api.example/p/a%2Fb")).toEqual({ url: "/p/a%2Fb", encodedSlash: true, authority: "api.example" });
    expect(normalizeTarget("*")).toEqual({ url: "*", encodedSlash: false });
    for (const url of ["http://user@api.example/a", "http:///a", "ftp://api.example/a", "api.example:443", "a/b", "http://api.example/a#b"]) {
      expect({ url, refused: "refused" in normalizeTarget(url) }).toEqual({ url, refused: true });
    }
    expect(targetShape("http://api.example/a")).toBe(TARGET_UNUSUAL);
    expect(targetShape("*")).toBe(TARGET_UNUSUAL);
  });

  it("decodes percent-encoded unreserved characters in the path, and only those (RFC 3986 §6.2.2.2)", () => {
    expect(resolved("/%69tems/v1/%61dmin")).toBe("/items/v1/admin");
    expect(resolved("/a/x%2ey%7E%5f%2D%30")).toBe("/a/x.y~_-0");
    expect(resolved("/a/%20%3A%40%25%C3%A9?q=%41")).toBe("/a/%20%3A%40%25%C3%A9?q=%41");
    expect(resolved("/a/%2%41%g1")).toBe("/a/%2A%g1");
  });

  it("reports a percent-encoded slash or backslash, in either case, and only in the path", () => {
    expect(normalizeTarget("/public/..%2Fadmin")).toEqual({ url: "/public/..%2Fadmin", encodedSlash: true });
    expect(normalizeTarget("/p/.%2e/a%5cb")).toEqual({ url: "/a%5cb", encodedSlash: true });
    expect(normalizeTarget("/p/./a?next=%2Fhome")).toEqual({ url: "/p/a?next=%2Fhome", encodedSlash: false });
  });

  it("agrees with RFC 3986's remove_dot_segments, unreserved characters decoded (property)", () => {
    // Not the WHATWG parser as an oracle: Node 20's (ada) keeps "/a/.a/.." as it is.
    const segment = fc.constantFrom("a", "b", "", ".", "..", "%2e", "%2E%2e", ".%2e", ".a", "a.", "x%2ey", "%41", "%20", "%7e");
    const dots = (text: string): string => text.replace(/%(2e|41|7e)/gi, (_octet, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 8 }), (segments) => {
        const url = `/${segments.join("/")}`;
        expect(dots(resolved(url))).toBe(removeDotSegments(dots(url)));
      }),
      { numRuns: 2_000 },
    );
  });

  it("is idempotent, and leaves no dot segment behind (property)", () => {
    const segment = fc.constantFrom("a", "", ".", "..", "%2e", "%2e%2E", ".%2E", "b%2fc", "x;y");
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 8 }), fc.option(fc.constantFrom("q=1", "x=../a", "p=%2F")), (segments, query) => {
        const url = `/${segments.join("/")}${query === null ? "" : `?${query}`}`;
        const once = resolved(url);
        expect(resolved(once)).toBe(once);
        const path = once.split("?")[0]!;
        for (const part of path.split("/")) expect([".", ".."]).not.toContain(part.replace(/%2e/gi, "."));
      }),
    );
  });
});

describe("targetShape", () => {
  it("finds nothing to do in an ordinary path and query, and says when there is", () => {
    expect(targetShape("/items/v1/items/abc?limit=5&next=/a/../b#")).toBe(TARGET_UNUSUAL);
    expect(targetShape("/items/v1/items/abc?limit=5&next=/a/../b")).toBe(0);
    expect(targetShape("/items/v1/items/caf%C3%A9")).toBe(0);
    expect(targetShape("/items/v1/items/a%2Fb")).toBe(TARGET_ENCODED_SLASH);
    expect(targetShape("/items/v1/items/a%5cb")).toBe(TARGET_ENCODED_SLASH);
    expect(targetShape("/items/v1/items/%2e%2e/x")).toBe(TARGET_UNUSUAL);
    expect(targetShape("/items/v1/items/../x")).toBe(TARGET_UNUSUAL);
  });

  it("never lets through as plain a target that normalizeTarget would change or refuse (property)", () => {
    const piece = fc.constantFrom("/", ".", "..", "%", "%2", "%2e", "%2E", "%2f", "%2F", "%5c", "%5C", "%25", "%41", "%7e", "%20", "%C3", "%g", "\\", "#", ";", "?", "a", "e", "f", "2");
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const url = `/${pieces.join("")}`;
        const shape = targetShape(url);
        if ((shape & TARGET_UNUSUAL) !== 0) return;
        expect(normalizeTarget(url)).toEqual({ url, encodedSlash: (shape & TARGET_ENCODED_SLASH) !== 0 });
      }),
      { numRuns: 5_000 },
    );
  });
});

/** RFC 3986 §5.2.4 as written there (input and output buffers), to test against. */
function removeDotSegments(path: string): string {
  let input = path;
  let output = "";
  while (input.length > 0) {
    if (input.startsWith("../")) input = input.slice(3);
    else if (input.startsWith("./")) input = input.slice(2);
    else if (input.startsWith("/./")) input = input.slice(2);
    else if (input === "/.") input = "/";
    else if (input.startsWith("/../") || input === "/..") {
      input = input === "/.." ? "/" : input.slice(3);
      output = output.slice(0, Math.max(0, output.lastIndexOf("/")));
    } else if (input === "." || input === "..") input = "";
    else {
      const next = input.indexOf("/", 1);
      const end = next < 0 ? input.length : next;
      output += input.slice(0, end);
      input = input.slice(end);
    }
  }
  return output;
}

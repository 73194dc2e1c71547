/**
 * Distinguished names compared the way certificate subjects are (RFC 5280 §7.1): attribute
 * types by meaning (`CN`, `commonName` and `2.5.4.3` are one type), values case-insensitively
 * with insignificant spaces removed. Attribute order is ignored: declarations are written in
 * RFC 4514 order (`CN=billing,O=Acme`, most specific first) while certificates list the
 * subject from the root (`O=Acme`, then `CN=billing`), and nobody means two different
 * identities by the same attributes in another order.
 */

/** One attribute of a name: its normalized type and its unescaped value. */
export interface NameAttribute {
  readonly type: string;
  readonly value: string;
}

/** Attribute type aliases (RFC 4514 §3, RFC 4519, OpenSSL short and long names, OIDs) → one spelling. */
const TYPE_ALIASES: Readonly<Record<string, string>> = {
  COMMONNAME: "CN",
  "2.5.4.3": "CN",
  SURNAME: "SN",
  "2.5.4.4": "SN",
  SERIALNUMBER: "SERIALNUMBER",
  "2.5.4.5": "SERIALNUMBER",
  COUNTRYNAME: "C",
  "2.5.4.6": "C",
  LOCALITYNAME: "L",
  "2.5.4.7": "L",
  STATEORPROVINCENAME: "ST",
  S: "ST",
  "2.5.4.8": "ST",
  STREETADDRESS: "STREET",
  "2.5.4.9": "STREET",
  ORGANIZATIONNAME: "O",
  "2.5.4.10": "O",
  ORGANIZATIONALUNITNAME: "OU",
  "2.5.4.11": "OU",
  "2.5.4.12": "TITLE",
  GIVENNAME: "GN",
  "2.5.4.42": "GN",
  DOMAINCOMPONENT: "DC",
  "0.9.2342.19200300.100.1.25": "DC",
  USERID: "UID",
  "0.9.2342.19200300.100.1.1": "UID",
  E: "EMAILADDRESS",
  EMAIL: "EMAILADDRESS",
  "1.2.840.113549.1.9.1": "EMAILADDRESS",
};

const TYPE_PATTERN = /^(?:[A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\.[0-9]+)+)$/;

/**
 * Parses a distinguished name into its attributes, in written order. `rdnSeparators` are the
 * characters between relative distinguished names: `,` (and the legacy `;`) in RFC 4514
 * strings, a newline in Node's `X509Certificate.subject`. `+` joins the attributes of a
 * multi-valued RDN in both. Values use RFC 4514 escapes (`\,`, `\+`, `\\`, `\2C`...).
 * Returns null when the text is not a distinguished name.
 */
export function parseDistinguishedName(text: string, rdnSeparators = ",;"): NameAttribute[] | null {
  const attributes: NameAttribute[] = [];
  let index = 0;
  while (index < text.length) {
    const equals = text.indexOf("=", index);
    if (equals < 0) return null;
    const type = normalizeType(text.slice(index, equals).trim());
    if (type === null) return null;
    index = equals + 1;
    const bytes: number[] = [];
    // Spaces are kept only up to the last escaped or non-space character: unescaped
    // trailing spaces are insignificant (RFC 4514 §2.4).
    let significantLength = 0;
    while (index < text.length) {
      const char = text[index]!;
      if (char === "\\") {
        const next = text.slice(index + 1, index + 3);
        if (/^[0-9A-Fa-f]{2}$/.test(next)) {
          bytes.push(parseInt(next, 16));
          index += 3;
        } else if (index + 1 < text.length) {
          const escaped = String.fromCodePoint(text.codePointAt(index + 1)!);
          bytes.push(...Buffer.from(escaped, "utf8"));
          index += 1 + escaped.length;
        } else {
          return null;
        }
        significantLength = bytes.length;
        continue;
      }
      if (char === "+" || rdnSeparators.includes(char)) break;
      const character = String.fromCodePoint(text.codePointAt(index)!);
      bytes.push(...Buffer.from(character, "utf8"));
      if (character !== " ") significantLength = bytes.length;
      index += character.length;
    }
    const value = Buffer.from(bytes.slice(0, significantLength)).toString("utf8").replace(/^ +/, "");
    attributes.push({ type, value });
    if (index < text.length) {
      index++; // the separator
      if (index === text.length) return null; // nothing after it
    }
  }
  return attributes.length > 0 ? attributes : null;
}

/**
 * The canonical form of a distinguished name, for equality: `TYPE=value` pairs with
 * normalized types and case-folded, space-collapsed values, sorted, joined by `,`. Null when
 * the text is not a distinguished name.
 */
export function canonicalDistinguishedName(text: string, rdnSeparators = ",;"): string | null {
  const attributes = parseDistinguishedName(text, rdnSeparators);
  if (attributes === null) return null;
  return attributes
    .map(({ type, value }) => `${type}=${escapeValue(value.replace(/\s+/g, " ").trim().toLowerCase())}`)
    .sort()
    .join(",");
}

/** The canonical subject of a certificate, from Node's `X509Certificate.subject` (one RDN a line). */
export function canonicalCertificateSubject(subject: string): string | null {
  return canonicalDistinguishedName(subject, "\n");
}

function normalizeType(type: string): string | null {
  if (!TYPE_PATTERN.test(type)) return null;
  const upper = type.toUpperCase();
  return TYPE_ALIASES[upper] ?? upper;
}

/** Escapes the characters that would make the canonical form ambiguous. */
function escapeValue(value: string): string {
  return value.replace(/[\\,+="<>;#]/g, (char) => `\\${char}`);
}

/**
 * The portal's Content-Security-Policy, one string for every host that serves the site: the
 * gateway (gateway-image/src/portal/portal-site.ts) and CloudFront (the AWS target's response
 * headers policy). The pages run the portal's scripts and Redoc's (which styles with inline
 * `style` elements and makes `blob:` URLs for downloads); nothing is loaded from another origin.
 * Dependency-free so the gateway bundle can import it without the generator.
 */
export const PORTAL_CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

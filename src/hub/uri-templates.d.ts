/**
 * Types for the parts of `uri-templates` (CommonJS, untyped) the topic
 * selector uses. Kept here, next to its only user.
 */
declare module 'uri-templates' {
  interface UriTemplate {
    /** Reverse matching: does `uri` expand from this template? `strict` checks percent-encoding per operator. */
    test(uri: string, options?: { strict?: boolean }): boolean;
    fromUri(uri: string, options?: { strict?: boolean }): Record<string, unknown> | undefined;
    readonly template: string;
  }
  function uriTemplates(template: string): UriTemplate;
  export default uriTemplates;
}

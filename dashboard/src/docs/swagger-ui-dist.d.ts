/**
 * The part of Swagger UI's browser bundle that the /docs page uses; swagger-ui-dist ships no
 * types of its own.
 */
declare module 'swagger-ui-dist/swagger-ui-es-bundle.js' {
  /** A request Swagger UI is about to send (the document itself, or "Try it out"). */
  export interface SwaggerRequest {
    url: string;
    method?: string;
    headers: Record<string, string>;
    credentials?: RequestCredentials;
  }

  export interface SwaggerUIOptions {
    url: string;
    domNode: Element;
    deepLinking?: boolean;
    tryItOutEnabled?: boolean;
    validatorUrl?: string | null;
    requestInterceptor?: (request: SwaggerRequest) => SwaggerRequest | Promise<SwaggerRequest>;
  }

  /** Renders the document at `url` into `domNode`. */
  export default function SwaggerUIBundle(options: SwaggerUIOptions): unknown;
}

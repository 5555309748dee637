/**
 * Writes the answer to a subscribe request as a Fetch `Response` (Hono, Bun,
 * Deno, Next.js route handlers, Workers). Translates only: every decision was
 * made by `planSubscription`.
 *
 * A transient refusal cannot drop the connection from a Fetch handler: the
 * answer is a `200 text/event-stream` whose body fails at once, which the
 * runtime turns into a broken response; `EventSource` reconnects after it
 * (see `refusal.ts`).
 */
import { createFetchSseStream, type FetchRequestLike } from '../response/adapters/fetch.js';
import type { SseHeaders } from '../response/options.js';
import { SSE_HEADERS } from '../response/response-headers.js';
import { REFUSAL_HEADERS, refusalBody, type Refusal } from './refusal.js';
import { readFetchFormBody } from './form-body.js';
import type { RequestView } from './subscribe-request.js';
import {
  startSubscription,
  SUBSCRIBE_CACHE_CONTROL,
  type SubscribeOutcome,
} from './subscribe-core.js';

/** A Fetch request as the subscribe core sees it. */
export function fetchRequestView(
  request: FetchRequestLike & {
    readonly method?: string;
    readonly body?: ReadableStream<Uint8Array> | null;
  },
): RequestView {
  return {
    method: request.method ?? 'GET',
    url: request.url,
    header: (name) => request.headers.get(name) ?? undefined,
    raw: request,
    origin: URL.canParse(request.url) ? new URL(request.url).origin : undefined,
    readForm: (maxBytes) => readFetchFormBody(request, maxBytes),
  };
}

function headersOf(...sets: (SseHeaders | undefined)[]): Headers {
  const headers = new Headers();
  for (const set of sets) {
    for (const [name, value] of Object.entries(set ?? {})) {
      if (value === undefined) continue;
      headers.delete(name);
      if (typeof value === 'object') for (const item of value) headers.append(name, item);
      else headers.set(name, String(value));
    }
  }
  return headers;
}

/** A refusal as a `Response`. */
export function fetchRefusal(refusal: Refusal, extra: SseHeaders | undefined): Response {
  if (refusal.transient) {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.error(new Error(refusal.message));
      },
    });
    return new Response(body, {
      status: 200,
      headers: headersOf(extra, SSE_HEADERS, { 'cache-control': SUBSCRIBE_CACHE_CONTROL }),
    });
  }
  return new Response(refusalBody(refusal), {
    status: refusal.status,
    headers: headersOf(extra, refusal.headers, REFUSAL_HEADERS),
  });
}

/** Answers a subscribe request with a `Response`: the stream, or the refusal. */
export function answerFetch(
  request: FetchRequestLike,
  outcome: SubscribeOutcome,
  extra: SseHeaders | undefined,
): Response {
  if (!outcome.ok) return fetchRefusal(outcome.refusal, extra);
  const { plan } = outcome;
  let opened: ReturnType<typeof createFetchSseStream>;
  try {
    opened = createFetchSseStream(request, plan.streamOptions);
  } catch (error) {
    plan.prepared.cancel();
    throw error;
  }
  startSubscription(opened.stream, plan);
  return opened.response;
}

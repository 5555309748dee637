/**
 * Reads an `application/x-www-form-urlencoded` request body within a size
 * limit.
 *
 * Limits: the body is refused with 413 as soon as `Content-Length` or the
 * bytes received go past `maxBytes`; at most `maxBytes` are ever held. The
 * 413 answer closes the connection (`Connection: close` on HTTP/1.1), so the
 * rest of an oversized body is not read. A body not complete within the
 * request timeout is refused with 408 (the connection closes too): a
 * publisher cannot hold a request open by dribbling its body. A body cut
 * off by the client (connection closed or stream reset mid-body) is a 400:
 * the client's doing, logged as a refusal, never a 500.
 *
 * @see https://url.spec.whatwg.org/#application/x-www-form-urlencoded
 */
import type { NodeSseRequest } from '../response/index.js';
import { HttpError } from './refusal.js';

const FORM_TYPE = 'application/x-www-form-urlencoded';

/**
 * Checks the request's `Content-Type` (parameters such as `charset` allowed).
 *
 * @throws {HttpError} 415 naming the expected type.
 */
export function checkFormContentType(req: NodeSseRequest): void {
  checkFormHeaders((name) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value[0] : value;
  });
}

/** {@link checkFormContentType} on any request's headers (by lower-case name). */
export function checkFormHeaders(header: (name: string) => string | undefined): void {
  const contentType = header('content-type');
  const type = contentType?.split(';', 1)[0]?.trim().toLowerCase();
  if (type !== FORM_TYPE) {
    throw new HttpError(
      415,
      contentType === undefined
        ? `missing Content-Type: expected "${FORM_TYPE}"`
        : `unsupported Content-Type "${contentType}": expected "${FORM_TYPE}"`,
      { accept: FORM_TYPE },
    );
  }
  const encoding = header('content-encoding');
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    throw new HttpError(415, `unsupported Content-Encoding "${encoding}"`);
  }
}

/** A refusal after which the rest of the body is not read: the connection closes. */
function closing(req: NodeSseRequest, status: number, message: string): HttpError {
  // HTTP/2 forbids connection-specific headers; there the stream is reset instead.
  const headers = req.httpVersionMajor === 1 ? { connection: 'close' } : undefined;
  return new HttpError(status, message, headers);
}

function tooLarge(req: NodeSseRequest, maxBytes: number): HttpError {
  return closing(req, 413, `request body exceeds ${maxBytes} bytes`);
}

const CUT_OFF = 'request body cut off: the client closed the connection before its end';

/**
 * Reads the body and parses it as form fields (`+` is a space, `%XX` bytes
 * are UTF-8, invalid sequences become U+FFFD).
 *
 * @throws {HttpError} 413 when the body is larger than `maxBytes`; 408 when it
 *   is not complete within `timeout` ms (0: no limit); 400 when the client
 *   cuts it off.
 */
export async function readFormBody(
  req: NodeSseRequest,
  maxBytes: number,
  timeout = 0,
): Promise<URLSearchParams> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(req, maxBytes);
  // Listeners rather than `for await`: leaving an async iterator early
  // destroys the request, and the client would get a reset, not the 413.
  const body = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onCutOff);
      req.off('aborted', onCutOff);
      req.off('close', onCutOff);
    };
    // One timer per publish request (not per subscriber): the request timeout.
    const timer =
      timeout > 0
        ? setTimeout(() => {
            cleanup();
            req.pause();
            reject(closing(req, 408, `request body not complete within ${timeout} ms`));
          }, timeout)
        : undefined;
    const onData = (chunk: Buffer | string): void => {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buffer.byteLength;
      if (size > maxBytes) {
        cleanup();
        req.pause();
        reject(tooLarge(req, maxBytes));
        return;
      }
      chunks.push(buffer);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    // A reset or a close before the end (HTTP/1 'aborted' and 'error', HTTP/2 'close').
    const onCutOff = (): void => {
      cleanup();
      reject(new HttpError(400, CUT_OFF));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onCutOff);
    req.on('aborted', onCutOff);
    req.on('close', onCutOff);
  });
  return new URLSearchParams(body.toString('utf8'));
}

/**
 * {@link readFormBody} for a Fetch `Request`: reads its body stream within
 * `maxBytes` (413 past it, `Content-Length` checked first).
 */
export async function readFetchFormBody(
  request: {
    readonly headers: { get(name: string): string | null };
    readonly body?: ReadableStream<Uint8Array> | null;
  },
  maxBytes: number,
): Promise<URLSearchParams> {
  const declared = request.headers.get('content-length');
  const refuse = (): HttpError => new HttpError(413, `request body exceeds ${maxBytes} bytes`);
  if (declared !== null && Number(declared) > maxBytes) throw refuse();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body?.getReader();
  if (reader !== undefined) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw refuse();
      }
      chunks.push(value);
    }
  }
  return new URLSearchParams(Buffer.concat(chunks, size).toString('utf8'));
}

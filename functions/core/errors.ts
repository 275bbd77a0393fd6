/**
 * The one error hierarchy. Handlers throw these; one middleware turns any error into the
 * SPEC §2 error body. Their messages are written for callers; any other error becomes a 500
 * that says only "internal error", its cause kept for the log.
 */
export class HttpError extends Error {
  readonly statusCode: number;
  readonly errorType: string;

  constructor(statusCode: number, errorType: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.statusCode = statusCode;
    this.errorType = errorType;
  }
}

export class BadRequest extends HttpError {
  constructor(message: string, options?: ErrorOptions) {
    super(400, "BAD_REQUEST", message, options);
  }
}

export class Unauthorized extends HttpError {
  constructor(message = "x-api-key is missing or unknown") {
    super(401, "UNAUTHORIZED", message);
  }
}

export class NotFound extends HttpError {
  constructor(message: string) {
    super(404, "NOT_FOUND", message);
  }
}

export class MethodNotAllowed extends HttpError {
  constructor(method: string, path: string) {
    super(405, "METHOD_NOT_ALLOWED", `${method} is not allowed on ${path}`);
  }
}

export class Conflict extends HttpError {
  constructor(message: string) {
    super(409, "CONFLICT", message);
  }
}

export class PayloadTooLarge extends HttpError {
  constructor(limitBytes: number) {
    super(413, "PAYLOAD_TOO_LARGE", `request body is larger than ${limitBytes} bytes`);
  }
}

export class UnsupportedMediaType extends HttpError {
  constructor(contentType: string | undefined) {
    super(
      415,
      "UNSUPPORTED_MEDIA_TYPE",
      `content-type must be application/json, not ${contentType ? `"${contentType}"` : "missing"}`,
    );
  }
}

export class InternalError extends HttpError {
  constructor(message = "internal error", options?: ErrorOptions) {
    super(500, "INTERNAL_ERROR", message, options);
  }
}

/** Answers the error as an HttpError: itself, or a 500 that hides the original. */
export function asHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  return new InternalError("internal error", { cause: error });
}

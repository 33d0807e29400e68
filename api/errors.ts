/** Errors a route may throw; the error middleware turns each into the contract's shape. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

export class Unauthorized extends HttpError {
  constructor(detail = 'Not authenticated') {
    super(401, detail, { 'WWW-Authenticate': 'APIKey' });
  }
}

export class Forbidden extends HttpError {
  constructor(detail = 'Not allowed') {
    super(403, detail);
  }
}

export class NotFound extends HttpError {
  constructor(detail = 'Not Found') {
    super(404, detail);
  }
}

export class Conflict extends HttpError {
  constructor(detail: string) {
    super(409, detail);
  }
}

export class PayloadTooLarge extends HttpError {
  constructor(limitBytes: number) {
    super(413, `Request body is larger than ${limitBytes} bytes`);
  }
}

export class UnsupportedMediaType extends HttpError {
  constructor(expected: string) {
    super(415, `Content-Type must be ${expected}`);
  }
}

export class ServiceUnavailable extends HttpError {
  constructor(detail: string, retryAfterSeconds = 5) {
    super(503, detail, { 'Retry-After': String(retryAfterSeconds) });
  }
}

export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** FastAPI's 422: one entry per bad field, `loc` starting with where the field came from. */
export class ValidationFailed extends HttpError {
  constructor(readonly issues: ValidationIssue[]) {
    super(422, 'Validation failed');
  }
}

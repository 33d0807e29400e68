/** SendGrid v3 error body: `{ errors: [{ field, message }] }` (field null when no single field is at fault). */
export interface SendGridError {
  field: string | null;
  message: string;
}

export interface SendGridErrorBody {
  errors: SendGridError[];
}

export function sendgridError(field: string | null, message: string): SendGridErrorBody {
  return { errors: [{ field, message }] };
}

export const sgErrors = {
  unauthorized: () => sendgridError(null, 'authorization required'),
  notFound: () => sendgridError(null, 'resource not found'),
  methodNotAllowed: () => sendgridError(null, 'method not allowed'),
  badJson: () => sendgridError(null, 'request body is not valid JSON'),
  tooLarge: () => sendgridError(null, 'request body too large'),
  internal: () => sendgridError(null, 'internal server error'),
};

/** Twilio's legacy REST error body, as returned by the 2010-04-01 API. */
export interface TwilioErrorBody {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

export function twilioError(status: number, code: number, message: string): TwilioErrorBody {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

export const errors = {
  authenticate: () => twilioError(401, 20003, 'Authenticate'),
  notFound: (path: string) => twilioError(404, 20404, `The requested resource ${path} was not found`),
  toRequired: () => twilioError(400, 21604, "A 'To' phone number is required."),
  fromRequired: () => twilioError(400, 21603, "A 'From' phone number is required."),
  bodyRequired: () => twilioError(400, 21602, 'Message body is required.'),
  bodyTooLong: () => twilioError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.'),
  invalidTo: (to: string) => twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`),
  invalidMediaUrl: () => twilioError(400, 21620, 'Invalid media URL(s).'),
  invalidParameter: (name: string) => twilioError(400, 20001, `Invalid ${name}`),
  invalidUrl: (name: string, url: string) => twilioError(400, 21402, `${name} is not a valid URL: ${url}`),
  phoneNumberOrAreaCodeRequired: () => twilioError(400, 21421, 'A PhoneNumber or AreaCode is required.'),
  phoneNumberInvalid: (phoneNumber: string) => twilioError(400, 21421, `PhoneNumber ${phoneNumber} is invalid.`),
  phoneNumberUnavailable: (phoneNumber: string) =>
    twilioError(400, 21422, `PhoneNumber not available: ${phoneNumber} is not available for purchase.`),
  areaCodeInvalid: (areaCode: string) => twilioError(400, 21451, `Invalid area code ${areaCode}.`),
  noNumbersInAreaCode: (areaCode: string) => twilioError(400, 21452, `No phone numbers found in area code ${areaCode}.`),
  unavailable: () => twilioError(503, 20503, 'Service unavailable'),
  internal: () => twilioError(500, 20500, 'Internal Server Error'),
};

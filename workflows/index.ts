export { sendMessage } from './send-message';
export { onboardBusiness } from './onboard-business';
export { conversation } from './conversation';
export { processMessage } from './process-message';
export { retryFailedMessages } from './retry-failed-messages';
export { voiceCall } from './voice-call';

export * from './business';
export * from './location';
export * from './staff';
export * from './client';
export * from './conversation';
export * from './conversation-event';
export * from './message';
export * from './message-status-event';
export * from './api-key';
export * from './session';

import { BusinessSchema } from './business';
import { LocationSchema } from './location';
import { StaffSchema } from './staff';
import { ClientSchema } from './client';
import { ConversationSchema } from './conversation';
import { ConversationEventSchema } from './conversation-event';
import { MessageSchema } from './message';
import { MessageStatusEventSchema } from './message-status-event';
import { ApiKeySchema } from './api-key';
import { SessionSchema } from './session';

export const entities = [
  BusinessSchema,
  LocationSchema,
  StaffSchema,
  ClientSchema,
  ConversationSchema,
  ConversationEventSchema,
  MessageSchema,
  MessageStatusEventSchema,
  ApiKeySchema,
  SessionSchema,
];

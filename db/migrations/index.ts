import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261125000000_initial } from './Migration20261125000000_initial';
import { Migration20261125010000_tenancy } from './Migration20261125010000_tenancy';
import { Migration20261125020000_onboarding } from './Migration20261125020000_onboarding';
import { Migration20261125030000_inbox } from './Migration20261125030000_inbox';
import { Migration20261125040000_inbox_indexes } from './Migration20261125040000_inbox_indexes';
import { Migration20261125050000_consent } from './Migration20261125050000_consent';
import { Migration20261125060000_conversation_facets } from './Migration20261125060000_conversation_facets';
import { Migration20261125070000_message_holds } from './Migration20261125070000_message_holds';
import { Migration20261125080000_sender_pacing } from './Migration20261125080000_sender_pacing';
import { Migration20261126000000_email_reply_to } from './Migration20261126000000_email_reply_to';
import { Migration20261126010000_unapplied_events_index } from './Migration20261126010000_unapplied_events_index';
import { Migration20261126020000_voice_calls } from './Migration20261126020000_voice_calls';
import { Migration20261126030000_awaiting_delivery } from './Migration20261126030000_awaiting_delivery';
import { Migration20261126040000_awaited_finals_index } from './Migration20261126040000_awaited_finals_index';

/** Every migration in order; listed explicitly so they run the same from source, a build or a bundle. */
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261125000000_initial', class: Migration20261125000000_initial },
  { name: 'Migration20261125010000_tenancy', class: Migration20261125010000_tenancy },
  { name: 'Migration20261125020000_onboarding', class: Migration20261125020000_onboarding },
  { name: 'Migration20261125030000_inbox', class: Migration20261125030000_inbox },
  { name: 'Migration20261125040000_inbox_indexes', class: Migration20261125040000_inbox_indexes },
  { name: 'Migration20261125050000_consent', class: Migration20261125050000_consent },
  { name: 'Migration20261125060000_conversation_facets', class: Migration20261125060000_conversation_facets },
  { name: 'Migration20261125070000_message_holds', class: Migration20261125070000_message_holds },
  { name: 'Migration20261125080000_sender_pacing', class: Migration20261125080000_sender_pacing },
  { name: 'Migration20261126000000_email_reply_to', class: Migration20261126000000_email_reply_to },
  { name: 'Migration20261126010000_unapplied_events_index', class: Migration20261126010000_unapplied_events_index },
  { name: 'Migration20261126020000_voice_calls', class: Migration20261126020000_voice_calls },
  { name: 'Migration20261126030000_awaiting_delivery', class: Migration20261126030000_awaiting_delivery },
  { name: 'Migration20261126040000_awaited_finals_index', class: Migration20261126040000_awaited_finals_index },
];

import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261125000000_initial } from './Migration20261125000000_initial';
import { Migration20261125010000_tenancy } from './Migration20261125010000_tenancy';

/** Every migration in order; listed explicitly so they run the same from source, a build or a bundle. */
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261125000000_initial', class: Migration20261125000000_initial },
  { name: 'Migration20261125010000_tenancy', class: Migration20261125010000_tenancy },
];

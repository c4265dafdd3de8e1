import { MetadataStorage } from '@mikro-orm/core';

// MikroORM keeps entity metadata in a process-wide store. Jest gives each test file its own
// globals (its own `Map`), so metadata cloned in global-setup or an earlier file breaks
// `instanceof Map` checks here (mikro-orm/mikro-orm#3783). Start every file from a clean store.
MetadataStorage.clear();

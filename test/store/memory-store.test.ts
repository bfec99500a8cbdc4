import { eventStoreContract, memoryFactory } from '@creatorflow/sync/testing';

eventStoreContract('in-memory', memoryFactory);

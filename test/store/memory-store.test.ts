import { eventStoreContract, memoryFactory } from './event-store-contract.js';

eventStoreContract('in-memory', memoryFactory);

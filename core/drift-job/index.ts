export * from './job';
export * from './ports';
export * from './window';
export * from './shards';

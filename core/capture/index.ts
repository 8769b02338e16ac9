export * from './record';
export * from './writer';

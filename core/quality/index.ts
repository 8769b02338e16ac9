export * from './join';
export * from './metrics';

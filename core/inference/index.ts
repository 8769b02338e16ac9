export * from './api-error';
export * from './payload';
export * from './request';
export * from './serve';

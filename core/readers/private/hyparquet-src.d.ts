// hyparquet's page-level modules (its package exports "../src/*.js"), typed by the declarations it ships in types/.
// The flat-column fast path (parquet-columns.ts) reads pages with them.
declare module 'hyparquet/src/column.js' {
  export * from 'hyparquet/types/column';
}
declare module 'hyparquet/src/datapage.js' {
  export * from 'hyparquet/types/datapage';
}
declare module 'hyparquet/src/convert.js' {
  export * from 'hyparquet/types/convert';
}
declare module 'hyparquet/src/plain.js' {
  export * from 'hyparquet/types/plain';
}
declare module 'hyparquet/src/schema.js' {
  export * from 'hyparquet/types/schema';
}
declare module 'hyparquet/src/encoding.js' {
  export * from 'hyparquet/types/encoding';
}

// `chdb/connection` is a package.json "exports" subpath, which the repo's `moduleResolution:
// node` does not read; this maps it to the declarations the subpath points at.
declare module 'chdb/connection' {
  export * from 'chdb/dist/connection/index';
}

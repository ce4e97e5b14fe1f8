/**
 * The few RxJS pieces the server uses, imported from their own modules. `import … from 'rxjs'` loads
 * rxjs's CommonJS index, which requires every operator and observable the library has (223 files,
 * ~150 ms of CPU on the shared 2-core box: bench/RESULTS-footprint.md); these four need 19 of them. They are the same module instances
 * the index re-exports, so values from here and from 'rxjs' mix freely. Types may still come from 'rxjs'.
 */
export { Observable } from 'rxjs/internal/Observable';
export { Subject } from 'rxjs/internal/Subject';
export { Subscription } from 'rxjs/internal/Subscription';
export { throwError } from 'rxjs/internal/observable/throwError';

/** clawgate's own release; kept equal to package.json's version by a test. */
export const CLAWGATE_VERSION = '0.1.0';
/** `hello-ok.server.buildId`: one id per release (clawgate builds are reproducible from the tagged sources). */
export const CLAWGATE_BUILD_ID = `clawgate-${CLAWGATE_VERSION}`;

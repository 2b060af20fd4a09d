/** clawgate's own release; kept equal to package.json's version by a test. */
export const CLAWGATE_VERSION = '0.1.0';

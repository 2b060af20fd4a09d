/**
 * clawgate's own TypeBox, for plugins that import `typebox` without installing it. In the built package this is
 * the bundled copy the schema layer already loaded (~15 ms), not TypeBox's ~700 files from node_modules.
 */
export * as TypeBox from 'typebox';

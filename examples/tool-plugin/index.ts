import { definePluginEntry } from 'openclaw/plugin-sdk/plugin-entry';
import { Type } from 'typebox';

type CountParams = { text: string };

export default definePluginEntry({
  id: 'word-count',
  name: 'Word Count',
  description: 'Counts the words in a piece of text',
  register(api) {
    // Words shorter than this are not counted (plugins.entries.word-count.config.minLength).
    const minLength: number = api.pluginConfig.minLength ?? 1;
    api.registerTool({
      name: 'count_words',
      description: 'Count the words in a text',
      parameters: Type.Object({ text: Type.String() }),
      outputSchema: Type.Object({ words: Type.Integer() }, { additionalProperties: false }),
      async execute(_toolCallId: string, params: CountParams) {
        const words = params.text.split(/\s+/).filter((word) => word.length >= minLength).length;
        return { content: [{ type: 'text', text: `${words} words` }], details: { words } };
      },
    });
  },
});

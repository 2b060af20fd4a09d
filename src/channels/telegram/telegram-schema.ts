import { type TSchema, Type } from 'typebox';
import { STREAMING_MODES } from './telegram-config.ts';
import { IGNORED_ACCOUNT_KEYS, IGNORED_GROUP_KEYS, IGNORED_STREAMING_KEYS } from './unsupported-keys.ts';

/**
 * `channels.telegram` for the config schema (config/schema.ts): OpenClaw's keys, the ones clawgate runs typed and
 * explained, every other OpenClaw Telegram key accepted as it is, and anything else refused as a typo.
 */

const about = <T extends TSchema>(title: string, description: string, schema: T) =>
  Type.Optional({ ...schema, title, description } as T);
const oneOf = (values: readonly string[]) => Type.Union(values.map((value) => Type.Literal(value)));
const NonEmpty = Type.String({ minLength: 1 });
const IdList = Type.Array(Type.Union([Type.String(), Type.Number()]));
const DM_POLICY = ['pairing', 'allowlist', 'open', 'disabled'];
const GROUP_POLICY = ['open', 'allowlist', 'disabled'];

const ignored = (keys: readonly string[]) =>
  Object.fromEntries(
    keys.map((key) => [key, about(key, 'OpenClaw setting; accepted, not used by clawgate.', Type.Unknown())]),
  );

const SecretInput = Type.Union([
  Type.String(),
  Type.Object(
    {
      source: { ...NonEmpty, title: 'Source', description: 'env (the only source clawgate reads).' },
      provider: about('Provider', 'OpenClaw’s provider alias; ignored for env.', Type.String()),
      id: { ...NonEmpty, title: 'Id', description: 'The environment variable holding the token.' },
    },
    { additionalProperties: false },
  ),
]);

const GroupEntry = Type.Object(
  {
    enabled: about('Enabled', 'false: the bot ignores this group.', Type.Boolean()),
    requireMention: about(
      'Require mention',
      'Answer only when @-mentioned, replied to or sent a /command@bot (default true).',
      Type.Boolean(),
    ),
    allowFrom: about(
      'Allowed senders',
      'Telegram user ids allowed in this group (beats groupAllowFrom).',
      IdList,
    ),
    groupPolicy: about(
      'Group policy',
      'open lets every member talk to the bot here; disabled ignores the group.',
      oneOf(GROUP_POLICY),
    ),
    ...ignored(IGNORED_GROUP_KEYS),
  },
  { additionalProperties: false },
);

const Streaming = Type.Union([
  oneOf(STREAMING_MODES),
  Type.Boolean(),
  Type.Object(
    {
      mode: about('Mode', 'off, partial, block or progress.', oneOf(STREAMING_MODES)),
      ...ignored(IGNORED_STREAMING_KEYS),
    },
    { additionalProperties: false },
  ),
]);

const accountProperties = {
  name: about('Name', 'Display name of the bot account.', Type.String()),
  enabled: about(
    'Enabled',
    'false: the account (or, at the top, the whole channel) does not start.',
    Type.Boolean(),
  ),
  botToken: about(
    'Bot token',
    'The BotFather token; prefer env:NAME, file:/path or { source: "env", id } to keep it out of the file.',
    SecretInput,
  ),
  tokenFile: about('Token file', 'A regular file holding the token (beats botToken).', NonEmpty),
  apiRoot: about(
    'API root',
    'Bot API root, without /bot<TOKEN> (default https://api.telegram.org).',
    Type.String({ pattern: '^https?://' }),
  ),
  dmPolicy: about(
    'DM policy',
    'pairing (default: unknown senders get a code to approve), allowlist, open or disabled.',
    oneOf(DM_POLICY),
  ),
  allowFrom: about(
    'Allowed senders',
    'Numeric Telegram user ids (telegram:/tg: prefixes accepted) or "*".',
    IdList,
  ),
  groupPolicy: about('Group policy', 'allowlist (default), open or disabled.', oneOf(GROUP_POLICY)),
  groupAllowFrom: about('Group senders', 'User ids allowed in groups; unset: allowFrom.', IdList),
  groups: about(
    'Groups',
    'By group chat id, or "*" for every group: the allowed groups and their settings.',
    Type.Record(Type.String(), GroupEntry),
  ),
  textChunkLimit: about(
    'Text chunk limit',
    'Characters per message before a reply is split (default 4000, at most Telegram’s 4096).',
    Type.Integer({ minimum: 1 }),
  ),
  streaming: about(
    'Streaming',
    'partial or block: the reply is previewed by editing one message; progress (default) and off send it whole.',
    Streaming,
  ),
  commands: about(
    'Commands',
    'native: false leaves /new and /reset out of the bot’s command menu.',
    Type.Object(
      {
        native: about(
          'Native commands',
          'false leaves /new and /reset out of the menu; true or auto lists them.',
          Type.Union([Type.Boolean(), Type.Literal('auto')]),
        ),
        nativeSkills: about(
          'Skill commands',
          'OpenClaw setting; accepted, not used by clawgate.',
          Type.Union([Type.Boolean(), Type.Literal('auto')]),
        ),
      },
      { additionalProperties: false },
    ),
  ),
  customCommands: about(
    'Custom commands',
    'Extra command menu entries (menu only): { command, description }.',
    Type.Array(
      Type.Object(
        {
          command: {
            ...NonEmpty,
            title: 'Command',
            description: 'a-z, 0-9 and _, 1-32 characters; a leading / is dropped.',
          },
          description: {
            ...Type.String(),
            title: 'Description',
            description: 'Shown beside the command in the menu.',
          },
        },
        { additionalProperties: false },
      ),
    ),
  ),
  ...ignored(IGNORED_ACCOUNT_KEYS),
};

const Account = Type.Object(accountProperties, { additionalProperties: false });

export const TelegramChannelSchema = Type.Object(
  {
    ...accountProperties,
    accounts: about(
      'Accounts',
      'Several bots by account id; each key here overrides the top-level one for that bot.',
      Type.Record(Type.String(), Account),
    ),
    defaultAccount: about(
      'Default account',
      'The account send and routing use when none is named.',
      NonEmpty,
    ),
  },
  { additionalProperties: false, title: 'Telegram', description: 'A Telegram bot (grammY, long polling).' },
);

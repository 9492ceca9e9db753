import { Type, type Static } from '@sinclair/typebox';
import { strictObject } from './schema-parts.js';

const EnvName = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'name of an environment variable' });

/** One webhook told of the run's outcome. The URL of a Slack or Teams webhook is its secret: it comes from the environment or a file only. */
export const NotifyWebhookSchema = strictObject({
  format: Type.Union([Type.Literal('slack'), Type.Literal('teams'), Type.Literal('json')], {
    'x-expected': 'slack, teams or json',
    description: 'slack: a Slack incoming webhook; teams: a Microsoft Teams workflow webhook (Adaptive Card); json: the outcome as plain JSON for any receiver',
  }),
  urlEnv: Type.Optional({ ...EnvName, description: 'environment variable holding the webhook URL' }),
  urlFile: Type.Optional(Type.String({ minLength: 1, description: 'file holding the webhook URL (relative to the plan)' })),
  on: Type.Optional(Type.Union([Type.Literal('failure'), Type.Literal('always'), Type.Literal('change')], {
    'x-expected': 'failure, always or change',
    description: 'when to send: failure (default: any outcome but passed), always, or change (the outcome differs from the last run of the plan)',
  })),
  reportUrl: Type.Optional(Type.String({
    minLength: 1,
    description: 'where readers find the report, {runId} and {plan} filled in (e.g. the CI artifact URL); default: the report\'s path on this machine',
  })),
}, { description: 'a webhook that receives the run\'s outcome' });

export const NotifySchema = Type.Array(NotifyWebhookSchema, {
  description: 'who is told of the run\'s outcome when it ends (a delivery that fails is a warning, never the run\'s exit code)',
});

export type NotifyWebhookDoc = Static<typeof NotifyWebhookSchema>;

/**
 * Runtime lists of the contract's channel and event names, without zod: the preload (a small
 * sandboxed bundle) checks calls and subscriptions against them. The compile-time checks below
 * keep them equal to `Channel` and `EventName` in ipc.ts.
 */
import type { Channel, EventName } from './ipc.ts';

export const CHANNELS = [
  'library:importDialog',
  'library:importDropped',
  'library:list',
  'library:get',
  'library:remove',
  'photos:detect',
  'photos:setAligned',
  'photos:damageMask',
  'photos:setDamageMask',
  'faces:update',
  'faces:add',
  'faces:remove',
  'faces:preview',
  'settings:get',
  'settings:set',
  'settings:pickOutputFolder',
  'jobs:start',
  'jobs:pause',
  'jobs:resume',
  'jobs:cancel',
  'jobs:current',
  'models:status',
  'models:install',
  'models:cancelInstall',
  'models:importDialog',
  'export:run',
  'export:openFolder',
] as const satisfies readonly Channel[];

export const EVENT_NAMES = ['jobs:progress', 'library:changed', 'models:progress'] as const satisfies readonly EventName[];

// Fails to compile when ipc.ts gains a channel or event that is missing here.
type Missing<All, Listed> = Exclude<All, Listed>;
const allChannelsListed: Missing<Channel, (typeof CHANNELS)[number]> extends never ? true : false = true;
const allEventsListed: Missing<EventName, (typeof EVENT_NAMES)[number]> extends never ? true : false = true;
void allChannelsListed;
void allEventsListed;

const channelSet: ReadonlySet<string> = new Set(CHANNELS);
const eventSet: ReadonlySet<string> = new Set(EVENT_NAMES);

export function isContractChannel(name: unknown): name is Channel {
  return typeof name === 'string' && channelSet.has(name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && eventSet.has(name);
}

export {
  eventDataSchemas,
  eventVersion,
  isEventType,
  type EventData,
  type EventMap,
  type EventType,
} from './events.ts';
export { createEvent, MalformedEventError, parseEnvelope, serializeEnvelope, type EventEnvelope } from './envelope.ts';
export {
  DEFAULT_MAX_DELIVERIES,
  dlqName,
  maxAgeMs,
  type Consumer,
  type ConsumeSpec,
  type EventBus,
  type EventHandler,
  type StreamDelivery,
  type StreamHandler,
  type StreamReader,
  type StreamReadOptions,
  type StreamSpec,
  type StreamStart,
} from './bus.ts';
export { topicMatches } from './topic.ts';
export { RabbitEventBus, type RabbitEventBusOptions } from './rabbit-bus.ts';
export { BrokerAddresses, splitAmqpUrls } from './broker-addresses.ts';
export { InProcessEventBus, type DeadLetter, type InProcessEventBusOptions } from './in-process-bus.ts';
export { createEventBus, type CreateEventBusOptions } from './create-event-bus.ts';
export { ensureOutboxIndex, outboxFields, withOutbox, type OutboxFields, type WithOutbox } from './outbox.ts';
export { OutboxRelay, type OutboxRelayOptions } from './outbox-relay.ts';
export { isUnavailableError } from './unavailable.ts';

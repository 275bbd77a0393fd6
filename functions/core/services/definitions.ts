import type { Clock } from "../clock.ts";
import { BadRequest, Conflict, NotFound } from "../errors.ts";
import { nestsDeeperThan } from "../json.ts";
import { LIMITS } from "../limits.ts";
import type { EventDefinition, PageRequest } from "../model.ts";
import type { DefinitionStore, EventPublisher } from "../ports.ts";
import {
  type CreateDefinitionBody,
  createDefinitionBody,
  type PatchDefinitionBody,
  patchDefinitionBody,
} from "../schemas.ts";
import { SLUG_PATTERN, slugFromName } from "../slug.ts";
import { triggerVariables } from "../trigger-variables.ts";
import { parseInput } from "../validation.ts";
import { platformEvent } from "./platform-notice.ts";

export interface DefinitionDeps {
  store: DefinitionStore;
  bus: EventPublisher;
  clock: Clock;
  /** Where a failed platform notice is reported: the change itself stands. */
  onNoticeError?: (error: unknown) => void;
}

/** A definition as the API shows it: with its trigger variables. */
export function definitionView(definition: EventDefinition) {
  return { ...definition, variables: triggerVariables(definition.sample_payload) };
}

export async function createDefinition(deps: DefinitionDeps, appId: string, input: unknown) {
  const body: CreateDefinitionBody = parseInput(createDefinitionBody, input);
  checkSampleDepth(body.sample_payload);
  const slug = body.slug ?? slugFromName(body.name);
  if (!SLUG_PATTERN.test(slug)) {
    throw new BadRequest(
      `name "${body.name}" gives no slug: give one that matches ^[a-z0-9_]{1,64}$`,
    );
  }
  const now = deps.clock.now().toISOString();
  const definition: EventDefinition = {
    slug,
    name: body.name,
    description: body.description ?? null,
    sample_payload: body.sample_payload,
    strict: body.strict ?? false,
    created_at: now,
    updated_at: now,
  };
  if (!(await deps.store.createDefinition(appId, definition))) {
    throw new Conflict(`an event with slug "${slug}" exists already`);
  }
  await notice(deps, appId, slug, "created");
  return definitionView(definition);
}

export async function getDefinition(deps: DefinitionDeps, appId: string, slug: string) {
  return definitionView(await mustExist(deps.store, appId, slug));
}

export async function listDefinitions(deps: DefinitionDeps, appId: string, page: PageRequest) {
  const result = await deps.store.listDefinitions(appId, page);
  return { data: result.data.map(definitionView), next_cursor: result.next_cursor };
}

export async function patchDefinition(
  deps: DefinitionDeps,
  appId: string,
  slug: string,
  input: unknown,
) {
  if (typeof input === "object" && input !== null && "slug" in input) {
    throw new BadRequest("slug cannot be changed");
  }
  const body: PatchDefinitionBody = parseInput(patchDefinitionBody, input);
  if (body.sample_payload) checkSampleDepth(body.sample_payload);
  const current = await mustExist(deps.store, appId, slug);
  const updated: EventDefinition = {
    ...current,
    ...(body.name !== undefined && { name: body.name }),
    ...(body.description !== undefined && { description: body.description }),
    ...(body.sample_payload !== undefined && { sample_payload: body.sample_payload }),
    ...(body.strict !== undefined && { strict: body.strict }),
    updated_at: deps.clock.now().toISOString(),
  };
  if (!(await deps.store.replaceDefinition(appId, updated))) throw notFound(slug);
  await notice(deps, appId, slug, "updated");
  return definitionView(updated);
}

export async function deleteDefinition(deps: DefinitionDeps, appId: string, slug: string) {
  if (!(await deps.store.deleteDefinition(appId, slug))) throw notFound(slug);
  await notice(deps, appId, slug, "deleted");
}

async function mustExist(store: DefinitionStore, appId: string, slug: string) {
  const definition = SLUG_PATTERN.test(slug) ? await store.getDefinition(appId, slug) : null;
  if (!definition) throw notFound(slug);
  return definition;
}

const notFound = (slug: string) => new NotFound(`event "${slug}" not found`);

function checkSampleDepth(sample: object) {
  if (nestsDeeperThan(sample, LIMITS.payloadDepth)) {
    throw new BadRequest(`sample_payload nests deeper than ${LIMITS.payloadDepth} levels`);
  }
}

/** `event_definition.changed`: a notice; if the bus refuses it, the change still stands. */
async function notice(deps: DefinitionDeps, appId: string, slug: string, change: string) {
  try {
    await deps.bus.publish([
      platformEvent(appId, "event_definition.changed", { slug, change }, deps.clock),
    ]);
  } catch (error) {
    deps.onNoticeError?.(error);
  }
}

import type { Template } from "aws-cdk-lib/assertions";

export type Resource = { Type: string; Properties: Record<string, unknown> };

/** Every resource of a type, as [logical id, resource]. */
export function resourcesOf(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.findResources(type) as Record<string, Resource>);
}

/** The resource with this logical id. */
export function resource(template: Template, logicalId: string): Resource {
  const found = (template.toJSON().Resources as Record<string, Resource>)[logicalId];
  if (!found) throw new Error(`no resource ${logicalId}`);
  return found;
}

/** The logical id of the construct `<scope><name>` (CDK adds an 8-character hash). */
export function logicalIdOf(template: Template, type: string, prefix: string): string {
  const ids = resourcesOf(template, type)
    .map(([id]) => id)
    .filter((id) => new RegExp(`^${prefix}[0-9A-F]{8}$`).test(id));
  if (ids.length !== 1) throw new Error(`${ids.length} resources named ${prefix}*`);
  return ids[0] as string;
}

/** A function of the Functions construct by its construct id (`Trigger`, `Deliverer`, …). */
export function lambda(template: Template, name: string) {
  const id = logicalIdOf(template, "AWS::Lambda::Function", `Functions${name}`);
  return { id, properties: resource(template, id).Properties };
}

/**
 * What a function's role may do, one `action resource` line per pair, with resources named by
 * the logical id they point at (`dynamodb:Query Table/index/GSI1`), sorted.
 */
export function grantsOf(template: Template, name: string): string[] {
  const roleId = logicalIdOf(template, "AWS::IAM::Role", `Functions${name}ServiceRole`);
  const statements = resourcesOf(template, "AWS::IAM::Policy")
    .filter(
      ([, policy]) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]),
    )
    .flatMap(
      ([, policy]) =>
        (
          policy.Properties.PolicyDocument as {
            Statement: { Action: unknown; Resource: unknown; Effect: string }[];
          }
        ).Statement,
    );
  const lines = statements.flatMap((statement) => {
    if (statement.Effect !== "Allow") throw new Error("only Allow statements are expected");
    const actions = [statement.Action].flat() as string[];
    const resources = [statement.Resource].flat().map(resourceName);
    return actions.flatMap((action) => resources.map((name) => `${action} ${name}`));
  });
  return [...new Set(lines)].sort();
}

/** `{"Fn::GetAtt": ["Table", "Arn"]}` → `Table`; a join of an ARN and a path → `Table/index/GSI1`. */
function resourceName(value: unknown): string {
  if (typeof value === "string") return value;
  const object = value as Record<string, unknown>;
  if (object["Fn::GetAtt"]) return (object["Fn::GetAtt"] as string[])[0] as string;
  if (object.Ref) return object.Ref as string;
  if (object["Fn::Join"]) {
    const [, parts] = object["Fn::Join"] as [string, unknown[]];
    return parts.map(resourceName).join("");
  }
  throw new Error(`cannot name resource ${JSON.stringify(value)}`);
}

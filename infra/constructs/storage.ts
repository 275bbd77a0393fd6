import { RemovalPolicy } from "aws-cdk-lib";
import { AttributeType, Billing, ProjectionType, TableV2 } from "aws-cdk-lib/aws-dynamodb";
import { Key } from "aws-cdk-lib/aws-kms";
import { Construct } from "constructs";
import { TABLE } from "../../functions/adapters/store/table-definition.ts";

/**
 * The one DynamoDB table, from the same definition the local runtime and tests create, and
 * the KMS key that seals the signing secrets kept in it (envelope encryption: the table holds
 * only ciphertext and data keys wrapped by this key).
 */
export class Storage extends Construct {
  readonly table: TableV2;
  readonly secretsKey: Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const key = (name: string) => ({ name, type: AttributeType.STRING });
    this.table = new TableV2(this, "Table", {
      partitionKey: key(TABLE.partitionKey),
      sortKey: key(TABLE.sortKey),
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TABLE.timeToLiveAttribute,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      globalSecondaryIndexes: TABLE.indexes.map((index) => ({
        indexName: index.name,
        partitionKey: key(index.partitionKey),
        sortKey: key(index.sortKey),
        projectionType: ProjectionType[index.projection],
      })),
    });
    this.secretsKey = new Key(this, "SecretsKey", {
      description: "Switchyard: wraps the data keys that seal webhook signing secrets",
      enableKeyRotation: true,
      // Without it no sealed secret can ever be opened again: it outlives the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}

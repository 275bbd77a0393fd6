import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../../functions/core/api-keys.ts";
import { createAppIn } from "../../../local/cli/apps.ts";
import { startTestTable, type TestTable } from "../../support/dynamo.ts";

let table: TestTable;
const cloudFormation = mockClient(CloudFormationClient);
const client = new CloudFormationClient({
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});
/** The shell of someone deploying: the table's endpoint stands in for DynamoDB's. */
const env = () => ({
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "test",
  AWS_SECRET_ACCESS_KEY: "test",
  SWITCHYARD_DYNAMODB_ENDPOINT: table.endpoint,
});

beforeAll(async () => {
  table = await startTestTable();
});
afterAll(async () => {
  cloudFormation.restore();
  await table?.close();
});

describe("switchyard apps create --stack", () => {
  it("creates the app in the table the stack's outputs name, and answers its key once", async () => {
    const store = await table.freshStore();
    cloudFormation.reset();
    cloudFormation.on(DescribeStacksCommand, { StackName: "Switchyard" }).resolves({
      Stacks: [
        {
          StackName: "Switchyard",
          CreationTime: new Date(),
          StackStatus: "CREATE_COMPLETE",
          Outputs: [
            { OutputKey: "ApiUrl", OutputValue: "https://x.execute-api.us-east-1.amazonaws.com" },
            { OutputKey: "TableName", OutputValue: table.tableName() },
          ],
        },
      ],
    });
    const created = await createAppIn({ name: "Globex", stack: "Switchyard" }, env(), client);
    expect(created).toMatchObject({ name: "Globex", api_key: expect.stringMatching(/^sk_/) });
    expect(await store.findAppByKeyHash(hashApiKey(created.api_key))).toMatchObject({
      id: created.app_id,
      name: "Globex",
    });
  });

  it("says in one line when the stack cannot be read, or is not Switchyard's", async () => {
    cloudFormation.reset();
    cloudFormation
      .on(DescribeStacksCommand)
      .rejectsOnce(new Error("Stack with id Nope does not exist"));
    await expect(createAppIn({ name: "x", stack: "Nope" }, env(), client)).rejects.toThrow(
      "cannot read the stack Nope: Stack with id Nope does not exist",
    );
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: "Other",
          CreationTime: new Date(),
          StackStatus: "CREATE_COMPLETE",
          Outputs: [],
        },
      ],
    });
    await expect(createAppIn({ name: "x", stack: "Other" }, env(), client)).rejects.toThrow(
      "the stack Other has no TableName output",
    );
  });
});

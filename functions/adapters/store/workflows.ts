import type { Workflow } from "../../core/model.ts";
import type { WorkflowStore } from "../../core/ports.ts";
import type { TableContext } from "./table-context.ts";
import { versionedRecords } from "./versioned-records.ts";

export function workflowStore(table: TableContext): WorkflowStore {
  const records = versionedRecords<Workflow>(table, "workflow", "WF#");
  return {
    createWorkflow: records.create,
    replaceWorkflow: records.replace,
    getWorkflow: records.get,
    listWorkflows: records.list,
    allWorkflows: records.all,
    deleteWorkflow: records.delete,
  };
}

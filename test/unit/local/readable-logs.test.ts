import { describe, expect, it } from "vitest";
import { readable } from "../../../local/readable-logs.ts";

describe("readable log lines", () => {
  it("renders a Powertools line as time, level, function, message and its own fields", () => {
    const line = JSON.stringify(
      {
        level: "INFO",
        message: "delivery succeeded",
        timestamp: "2026-11-23T01:28:00.123Z",
        service: "switchyard-deliverer",
        cold_start: true,
        function_request_id: "abc",
        delivery_id: "msg_1",
        attempt: 1,
        status_code: 200,
        url: "http://127.0.0.1:4000/hooks",
      },
      null,
      4,
    );
    expect(readable(line)).toBe(
      "01:28:00.123  INFO   deliverer  delivery succeeded  delivery_id=msg_1  attempt=1  status_code=200  url=http://127.0.0.1:4000/hooks",
    );
  });

  it("quotes text with spaces and shows an error by its message", () => {
    const line = JSON.stringify({
      level: "ERROR",
      message: "delivery turn failed",
      service: "switchyard-deliverer",
      reason: "two words",
      error: { name: "Error", message: "store down", stack: "Error: store down\n    at x" },
    });
    expect(readable(line)).toBe(
      'ERROR  deliverer  delivery turn failed  reason="two words"  error="store down"',
    );
  });

  it("leaves anything else as it is", () => {
    expect(readable("switchyard: ALARM")).toBeNull();
    expect(readable('{"not":"a log line"}')).toBeNull();
    expect(readable("{broken")).toBeNull();
    expect(readable(3)).toBeNull();
  });
});

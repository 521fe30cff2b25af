/** The HTTP request as Kiln hands it to a component (contract §5 `httpDetails`). */
interface HttpDetails {
  method: string;
  path: string;
  queryParameters: Record<string, string | string[]>;
  headers: Record<string, string>;
  body: string | null;
  bodyEncoding: "utf8" | "base64";
}

/** POST /echo: answers with the request body, so clients can test the ingress end to end. */
export function echo(requestData: { httpDetails?: HttpDetails }, _context: unknown) {
  const http = requestData.httpDetails;
  if (!http) throw new Error("echo answers HTTP requests only");
  const contentType = Object.entries(http.headers)
    .find(([name]) => name.toLowerCase() === "content-type")?.[1];
  return {
    statusCode: 200,
    headers: {
      "content-type": contentType ?? "application/octet-stream",
      "x-echo-method": http.method,
      "x-echo-path": http.path,
      "x-echo-query": JSON.stringify(http.queryParameters),
    },
    body: http.body,
    bodyEncoding: http.bodyEncoding,
  };
}

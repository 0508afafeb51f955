// Package sim simulates the Amazon Connect Salesforce integration's
// sfInvokeAPI Lambda function, version 5.26, against an in-memory Salesforce
// org, so sfprobe can be exercised without Salesforce or AWS.
//
// Function follows shared/contract/sfinvokeapi.md: it reads only
// Details.Parameters, reads the credentials secret on every invocation,
// fetches an OAuth token lazily on HTTP 401 and writes it back to the
// secret, and raises the same exceptions (errorType and errorMessage) as
// the Python handler. Its results are serialized the way the Python runtime
// does (key order kept, ", " and ": " separators).
//
// Org is the Salesforce side: Contacts and Cases, a SOQL subset (SELECT …
// FROM … WHERE … with =, !=, <, >, LIKE, IN, AND/OR/NOT, ORDER BY, LIMIT and
// one level of relationship), SOSL search (FIND … RETURNING … and
// parameterizedSearch), record create/update/delete, Chatter posts and the
// OAuth token endpoint, answering with Salesforce's error bodies.
//
// Faults reproduce failures of real deployments (expired credentials, API
// limit, a trigger that reopens cases, timeouts, a broken layer, throttling),
// for every invocation or for the next N (FaultSpec). Function implements
// lambdahttp.Function, so it can be served over the Lambda Invoke HTTP API to
// the AWS SDK and to moto's Step Functions engine.
package sim

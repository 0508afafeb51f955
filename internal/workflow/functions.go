package workflow

// Function is one of sfprobe's Lambda functions: its directory under
// functions/ (and dist/), and the substitution key its ARN fills.
type Function struct {
	Name        string
	Key         string
	Description string
}

// Functions lists sfprobe's Lambda functions in build order.
var Functions = []Function{
	{"check-config", CheckConfigFunctionArn, "runs one AWS-side check of sfInvokeAPI (TargetConfig, SecretAccess, KmsKey, ConnectAccess, SalesforceLogin)"},
	{"check-salesforce", CheckSalesforceFunctionArn, "replays one step of the manual test against sfInvokeAPI"},
	{"cleanup", CleanupFunctionArn, "closes and deletes the run's test Case on every path"},
	{"publish-metrics", PublishMetricsFunctionArn, "builds the run's report and publishes its CloudWatch metrics"},
}

// The environment variables of sfprobe's functions (set by CDK, read by
// internal/handler).
const (
	EnvMetricNamespace   = "SFPROBE_METRIC_NAMESPACE"
	EnvDetailedMetrics   = "SFPROBE_DETAILED_METRICS"
	EnvKeepCases         = "SFPROBE_KEEP_CASES"
	EnvCallTimeout       = "SFPROBE_CALL_TIMEOUT"
	EnvMaxSecretVersions = "SFPROBE_MAX_SECRET_VERSIONS"
	// EnvMetricsTransport is how publish-metrics publishes: MetricsEMF
	// (the default: CloudWatch Logs extracts the metrics from the
	// function's log, no PutMetricData request) or MetricsAPI
	// (PutMetricData).
	EnvMetricsTransport = "SFPROBE_METRICS_TRANSPORT"
	// EnvConnectMaxFlows caps the contact flows and modules ConnectAccess
	// reads per run (the connectMaxFlows prop).
	EnvConnectMaxFlows = "SFPROBE_CONNECT_MAX_FLOWS"
	// EnvSalesforceEndpoint, when set, is a loopback URL that receives
	// SalesforceLogin's requests instead of the org (a local org: the
	// sandbox). CDK never sets it.
	EnvSalesforceEndpoint = "SFPROBE_SALESFORCE_ENDPOINT"
	// EnvDailySalesforceCalls is how many of a target org's daily API
	// calls sfprobe's schedules spend (CDK computes it; SalesforceLogin's
	// message names it).
	EnvDailySalesforceCalls = "SFPROBE_DAILY_SALESFORCE_CALLS"
	// EnvFleetTarget is the Target dimension of a fleet run's own metrics
	// (FleetRunSuccess, and Paused for a paused fleet run): the stack's
	// name. Empty: none are published (the stack alarms per target).
	EnvFleetTarget = "SFPROBE_FLEET_TARGET"
)

// The values of EnvMetricsTransport.
const (
	MetricsEMF = "emf"
	MetricsAPI = "api"
)

package monitor

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sfprobe/sfprobe/internal/check"
	"github.com/sfprobe/sfprobe/internal/metricname"
	"github.com/sfprobe/sfprobe/internal/targets"
	"github.com/sfprobe/sfprobe/internal/validate"
	"github.com/sfprobe/sfprobe/internal/workflow"
)

// Config is the stack's configuration. Each field is read from the CDK
// context key named by its json tag (cdk deploy -c targetFunctionArn=...),
// or from the JSON file named by the context key configFile, which holds
// the same keys. Precedence: context, then the file, then the defaults.
//
// A stack probes one target, given by the single-target keys
// (targetFunctionArn, testPhone, testFields, secretArn, kmsKeyArn,
// connectInstanceArn, targetRoleArn, targetName), or the targets of a
// targets file (targetsFile): exactly one of the two forms.
type Config struct {
	// StackName names the stack.
	StackName string `json:"stackName"`
	// TargetsFile is a targets file (YAML or JSON, internal/targets) whose
	// targets the stack probes, instead of the single-target keys. Each
	// entry needs function, secret_arn and kms_key_arn as full ARNs.
	TargetsFile string `json:"targetsFile"`
	// TargetFunctionArn is the sfInvokeAPI function (optionally qualified).
	// Required without targetsFile.
	TargetFunctionArn string `json:"targetFunctionArn"`
	// TestPhone is the E.164 phone of the Salesforce test contact.
	// Required without targetsFile.
	TestPhone string `json:"testPhone"`
	// TestFields are the fields phoneLookup requests, ", " separated.
	TestFields string `json:"testFields"`
	// SecretArn is sfInvokeAPI's credentials secret (full ARN). Required
	// without targetsFile: the IAM policy names it.
	SecretArn string `json:"secretArn"`
	// KmsKeyArn is the secret's KMS key (a key ARN, not an alias).
	// Required without targetsFile.
	KmsKeyArn string `json:"kmsKeyArn"`
	// ConnectInstanceArn scopes the ConnectAccess check. Optional.
	ConnectInstanceArn string `json:"connectInstanceArn"`
	// TargetRoleArn is sfInvokeAPI's execution role; when empty the stack
	// grants no iam:SimulatePrincipalPolicy and the check skips the simulation.
	TargetRoleArn string `json:"targetRoleArn"`
	// TargetName is the Target metric dimension; default: the function name.
	TargetName string `json:"targetName"`
	// Schedule is an EventBridge Scheduler rate(...) or cron(...)
	// expression, or "off" for no schedule.
	Schedule string `json:"schedule"`
	// ConfigSchedule is the cadence of the AWS-side checks (TargetConfig,
	// SecretAccess, KmsKey, ConnectAccess), which cost Secrets Manager and
	// KMS requests: a rate(...) or cron(...) expression no more frequent
	// than Schedule, or "every-run" (also "off": no second schedule) to make
	// every run check everything. When it differs from Schedule the stack
	// has two schedules, {"scope":"salesforce"} on Schedule and
	// {"scope":"aws"} on ConfigSchedule.
	ConfigSchedule string `json:"configSchedule"`
	// AlarmPeriodMinutes is the period of the run alarms; default: the
	// rate's interval. Required with a cron(...) schedule.
	AlarmPeriodMinutes int `json:"alarmPeriodMinutes"`
	// AlarmEmail, when set, subscribes an address to the paging topic.
	AlarmEmail string `json:"alarmEmail"`
	// TopicKmsKeyArn is an existing customer managed key (or alias) for the
	// paging topic; empty: the stack creates one ($1 a month). Its key
	// policy must let cloudwatch.amazonaws.com kms:Decrypt and
	// kms:GenerateDataKey*.
	TopicKmsKeyArn string `json:"topicKmsKeyArn"`
	// WorkflowType is EXPRESS (default, cheap) or STANDARD (90-day
	// history); above 50 targets STANDARD is the default and EXPRESS an
	// error (a Distributed Map needs a STANDARD parent).
	WorkflowType string `json:"workflowType"`
	// WorkflowLogLevel is the state machine's logging level: ALL, ERROR
	// (default: a healthy run writes nothing), FATAL or OFF. Execution data
	// is never logged.
	WorkflowLogLevel string `json:"workflowLogLevel"`
	// Tracing turns on X-Ray tracing of the state machine.
	Tracing bool `json:"tracing"`
	// MetricNamespace is the CloudWatch namespace of sfprobe's metrics.
	MetricNamespace string `json:"metricNamespace"`
	// KeepCases keeps the closed test Case instead of deleting it.
	KeepCases bool `json:"keepCases"`
	// DetailedMetrics publishes RunDuration and CheckLatency per check (9
	// more metrics) and adds the RunLatency alarm, which watches RunDuration.
	DetailedMetrics bool `json:"detailedMetrics"`
	// PerCheckAlarms adds one CheckFailure alarm per check (8 more alarms).
	PerCheckAlarms bool `json:"perCheckAlarms"`
	// DiagnosticAlarms adds the alarms that neither page nor detect what
	// RunFailure cannot: ExecutionsFailed, ExecutionsTimedOut,
	// ExecutionThrottled and one FunctionErrors per function.
	DiagnosticAlarms bool `json:"diagnosticAlarms"`
	// RunFailureAlarm is the run-failure alarm's "M/N": M failed or missing
	// periods out of the last N raise it.
	RunFailureAlarm string `json:"runFailureAlarm"`
	// RunLatencyMs is the RunLatency alarm's threshold.
	RunLatencyMs int `json:"runLatencyMs"`
	// LogRetentionDays is the retention of every log group (a value
	// CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, ...).
	LogRetentionDays int `json:"logRetentionDays"`
	// Dashboard creates the stack's CloudWatch dashboard (default true). An
	// account's first 3 dashboards are free, each further one $3 a month.
	Dashboard bool `json:"dashboard"`
	// DeployGate runs the workflow once after each deploy (a CDK trigger)
	// and fails the deploy when the run fails.
	DeployGate bool `json:"deployGate"`
	// MetricsTransport is how publish-metrics publishes: emf (default: lines
	// in its log group in CloudWatch's embedded metric format, which
	// CloudWatch Logs turns into metrics; no PutMetricData permission) or
	// api (a PutMetricData request per run).
	MetricsTransport string `json:"metricsTransport"`
	// AssetRoot holds the prebuilt <function>/bootstrap files (make build).
	AssetRoot string `json:"assetRoot"`
	// ConnectMaxFlows caps the contact flows and flow modules ConnectAccess
	// reads (DescribeContactFlow/DescribeContactFlowModule) per run, 1 to
	// 1000 (default 50); the report warns when it cut the scan short.
	ConnectMaxFlows int `json:"connectMaxFlows"`
	// ApiRemainingAlarmPercent is the SalesforceApiRemaining alarm's
	// threshold: it fires when less than this percentage of the org's daily
	// API requests remains (default 20, as SalesforceLogin's warning).
	ApiRemainingAlarmPercent int `json:"apiRemainingAlarmPercent"` //nolint:revive // a public configuration key
	// VpcSubnetIds and VpcSecurityGroupIds, both or neither, place sfprobe's
	// functions in a VPC (comma-separated subnet-... and sg-... ids): for a
	// target whose org is reachable only from there. The subnets need a
	// route to Salesforce (a NAT gateway or a proxy) and to the AWS APIs.
	VpcSubnetIds        string `json:"vpcSubnetIds"`
	VpcSecurityGroupIds string `json:"vpcSecurityGroupIds"`
	// ResultsRetentionDays is how long the results bucket (a STANDARD
	// stack's: the runs' reports, fleet reports and the Distributed Map's
	// result files) keeps an object, 1 to 3650 days (default 30).
	ResultsRetentionDays int `json:"resultsRetentionDays"`
	// AlarmScope is how a stack of more than 50 targets alarms: auto
	// (default: an alarm per target while they fit the stack, fleet alarms
	// above), target (an alarm per target, or an error) or fleet (one
	// RunFailure for the whole fleet on FleetRunSuccess, and Metrics
	// Insights alarms over every target for the others).
	AlarmScope string `json:"alarmScope"`

	// Targets are targetsFile's entries, as ConfigFrom read them; not a
	// configuration key.
	Targets []targets.Entry `json:"-"`
}

// ConfigFileKey is the context key naming a JSON file of configuration.
const ConfigFileKey = "configFile"

// The defaults.
const (
	DefaultStackName        = "Sfprobe"
	DefaultTestFields       = "Id, Name" // events.DefaultFields
	DefaultSchedule         = "rate(5 minutes)"
	ScheduleOff             = "off"
	DefaultConfigSchedule   = "rate(15 minutes)"
	ConfigScheduleEveryRun  = "every-run"
	WorkflowExpress         = "EXPRESS"
	WorkflowStandard        = "STANDARD"
	DefaultWorkflowLogLevel = "ERROR"
	DefaultRunFailureAlarm  = "2/3"
	DefaultRunLatencyMs     = 20000
	DefaultLogRetentionDays = 30
	DefaultAssetRoot        = "dist"
	// DefaultApiRemainingAlarmPercent is SalesforceLogin's warning level.
	DefaultApiRemainingAlarmPercent = 20
	MetricsEMF                      = workflow.MetricsEMF
	MetricsAPI                      = workflow.MetricsAPI
	DefaultResultsRetentionDays     = 30
	AlarmScopeAuto                  = "auto"
	AlarmScopeTarget                = "target"
	AlarmScopeFleet                 = "fleet"
	// offAlarmPeriodMinutes is the alarm period without a schedule.
	offAlarmPeriodMinutes = 5
	// maxRunMs is the workflow's TimeoutSeconds (280 s).
	maxRunMs = 280000
)

// DefaultConfig returns the configuration with every default filled in.
func DefaultConfig() Config {
	return Config{
		StackName:        DefaultStackName,
		TestFields:       DefaultTestFields,
		Schedule:         DefaultSchedule,
		ConfigSchedule:   DefaultConfigSchedule,
		WorkflowType:     WorkflowExpress,
		WorkflowLogLevel: DefaultWorkflowLogLevel,
		MetricNamespace:  metricname.DefaultNamespace,
		RunFailureAlarm:  DefaultRunFailureAlarm,
		RunLatencyMs:     DefaultRunLatencyMs,
		LogRetentionDays: DefaultLogRetentionDays,
		MetricsTransport: MetricsEMF,
		Dashboard:        true,
		AssetRoot:        DefaultAssetRoot,
		ConnectMaxFlows:  check.DefaultMaxFlows,

		ApiRemainingAlarmPercent: DefaultApiRemainingAlarmPercent,
		ResultsRetentionDays:     DefaultResultsRetentionDays,
		AlarmScope:               AlarmScopeAuto,
	}
}

// ContextKeys returns every configuration key, in struct order.
func ContextKeys() []string {
	t := reflect.TypeOf(Config{})
	keys := make([]string, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		if k := t.Field(i).Tag.Get("json"); k != "-" {
			keys = append(keys, k)
		}
	}
	return keys
}

// ConfigFrom builds and validates the configuration from the context values
// ctx (key → string, bool or number; keys sfprobe does not know are
// ignored, except near-misses of its own keys). readFile reads the file
// named by configFile. Every error names its key.
func ConfigFrom(ctx map[string]any, readFile func(string) ([]byte, error)) (Config, error) {
	c := DefaultConfig()
	if err := checkKeys(ctx); err != nil {
		return c, err
	}
	given := map[string]bool{}
	if v, ok := ctx[ConfigFileKey]; ok && v != nil && v != "" {
		path, ok := v.(string)
		if !ok {
			return c, &validate.FieldError{Field: ConfigFileKey, Msg: fmt.Sprintf("%v is not a file path", v)}
		}
		data, err := readFile(path)
		if err != nil {
			return c, &validate.FieldError{Field: ConfigFileKey, Msg: fmt.Sprintf("read %s: %v", path, err)}
		}
		var file map[string]any
		if err := json.Unmarshal(data, &file); err != nil {
			return c, &validate.FieldError{Field: ConfigFileKey, Msg: fmt.Sprintf("%s is not a JSON object of configuration keys: %v", path, err)}
		}
		if err := checkKeys(file); err != nil {
			return c, fmt.Errorf("%s: %w", path, err)
		}
		var unknown []error
		for k := range file {
			if !isKey(k) {
				unknown = append(unknown, &validate.FieldError{Field: k, Msg: fmt.Sprintf("unknown key in %s (known: %s)", path, strings.Join(ContextKeys(), ", "))})
			}
		}
		if len(unknown) > 0 {
			sortErrs(unknown)
			return c, errors.Join(unknown...)
		}
		if err := c.set(file); err != nil {
			return c, err
		}
		markGiven(given, file)
	}
	if err := c.set(ctx); err != nil {
		return c, err
	}
	markGiven(given, ctx)
	if c.TargetsFile != "" {
		entries, err := loadTargets(c.TargetsFile, readFile)
		if err != nil {
			return c, err
		}
		c.Targets = entries
	}
	c.fleetDefaults(given["workflowType"])
	return c, c.validate(given)
}

// markGiven records the keys of m that hold a value.
func markGiven(given map[string]bool, m map[string]any) {
	for k, v := range m {
		if v != nil && v != "" {
			given[k] = true
		}
	}
}

func isKey(k string) bool {
	for _, key := range ContextKeys() {
		if k == key {
			return true
		}
	}
	return false
}

// checkKeys rejects a key that differs from one of sfprobe's keys only in
// case (-c targetFunctionARN=... would otherwise be ignored silently).
func checkKeys(m map[string]any) error {
	var errs []error
	for k := range m {
		for _, key := range append(ContextKeys(), ConfigFileKey) {
			if k != key && strings.EqualFold(k, key) {
				errs = append(errs, &validate.FieldError{Field: k, Msg: fmt.Sprintf("unknown key: did you mean %s?", key)})
			}
		}
	}
	sortErrs(errs)
	return errors.Join(errs...)
}

// set assigns the known keys of m, converting context strings ("true",
// "60") to the field's type.
func (c *Config) set(m map[string]any) error {
	v := reflect.ValueOf(c).Elem()
	var errs []error
	for i := 0; i < v.NumField(); i++ {
		key := v.Type().Field(i).Tag.Get("json")
		if key == "-" {
			continue
		}
		raw, ok := m[key]
		if !ok || raw == nil {
			continue
		}
		f := v.Field(i)
		bad := func(want string) {
			errs = append(errs, &validate.FieldError{Field: key, Msg: fmt.Sprintf("%v is not %s", raw, want)})
		}
		switch f.Kind() {
		case reflect.String:
			switch x := raw.(type) {
			case string:
				f.SetString(strings.TrimSpace(x))
			default:
				bad("a string")
			}
		case reflect.Bool:
			switch x := raw.(type) {
			case bool:
				f.SetBool(x)
			case string:
				b, err := strconv.ParseBool(strings.TrimSpace(x))
				if err != nil {
					bad("true or false")
					continue
				}
				f.SetBool(b)
			default:
				bad("true or false")
			}
		case reflect.Int:
			switch x := raw.(type) {
			case int:
				f.SetInt(int64(x))
			case float64:
				if x != float64(int(x)) {
					bad("a whole number")
					continue
				}
				f.SetInt(int64(x))
			case string:
				n, err := strconv.Atoi(strings.TrimSpace(x))
				if err != nil {
					bad("a whole number")
					continue
				}
				f.SetInt(int64(n))
			default:
				bad("a whole number")
			}
		}
	}
	return errors.Join(errs...)
}

var (
	stackNameRe  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,99}$`)
	roleARNRe    = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$`)
	emailRe      = regexp.MustCompile(`^[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$`)
	rateRe       = regexp.MustCompile(`^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$`)
	cronRe       = regexp.MustCompile(`^cron\(([^ ()]+ ){5}[^ ()]+\)$`)
	namespaceRe  = regexp.MustCompile(`^[A-Za-z0-9.\-_/#:]{1,255}$`)
	fullSecretRe = regexp.MustCompile(`:secret:.+-[A-Za-z0-9]{6}$`)
	mOfNRe       = regexp.MustCompile(`^(\d+)\s*(?:/|of)\s*(\d+)$`)
)

// retentions are the retention periods CloudWatch Logs (and CDK) accept.
var retentions = map[int]string{
	1: "ONE_DAY", 3: "THREE_DAYS", 5: "FIVE_DAYS", 7: "ONE_WEEK", 14: "TWO_WEEKS", 30: "ONE_MONTH",
	60: "TWO_MONTHS", 90: "THREE_MONTHS", 120: "FOUR_MONTHS", 150: "FIVE_MONTHS", 180: "SIX_MONTHS",
	365: "ONE_YEAR", 400: "THIRTEEN_MONTHS", 545: "EIGHTEEN_MONTHS", 731: "TWO_YEARS", 1096: "THREE_YEARS",
	1827: "FIVE_YEARS", 2192: "SIX_YEARS", 2557: "SEVEN_YEARS", 2922: "EIGHT_YEARS", 3288: "NINE_YEARS",
	3653: "TEN_YEARS",
}

// Validate checks every field, all at once; the errors are
// *validate.FieldError values joined, each naming its context key (and,
// for a targets file, the entry's field path).
func (c Config) Validate() error { return c.validate(nil) }

// validate is Validate; given are the keys the configuration set
// explicitly (ConfigFrom knows them), so that a single-target key set to
// its default value next to targetsFile is reported too.
func (c Config) validate(given map[string]bool) error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	bad := func(key, format string, args ...any) {
		errs = append(errs, &validate.FieldError{Field: key, Msg: fmt.Sprintf(format, args...)})
	}

	if !stackNameRe.MatchString(c.StackName) {
		bad("stackName", "%q: want a letter, then up to 99 letters, digits and hyphens", c.StackName)
	}
	var targetErr error
	if c.fileForm() {
		targetErr = c.validateTargetsFile(given)
	} else {
		targetErr = c.validateSingleTarget()
	}
	add(targetErr)
	if c.TopicKmsKeyArn != "" {
		if err := validate.KMSKeyARN("topicKmsKeyArn", c.TopicKmsKeyArn); err != nil {
			add(err)
		} else if r := c.region(); targetErr == nil && arnField(c.TopicKmsKeyArn, 3) != r {
			bad("topicKmsKeyArn", "region %s differs from the stack's %s (the first target's): the paging topic's key must be in the stack's region", arnField(c.TopicKmsKeyArn, 3), r)
		}
	}
	if c.ConnectMaxFlows < 1 || c.ConnectMaxFlows > check.MaxMaxFlows {
		bad("connectMaxFlows", "%d: want 1 to %d (default %d)", c.ConnectMaxFlows, check.MaxMaxFlows, check.DefaultMaxFlows)
	}
	switch c.MetricsTransport {
	case MetricsEMF, MetricsAPI:
	default:
		bad("metricsTransport", "%q: want %s (default: publish-metrics logs the metrics in CloudWatch's embedded metric format; no PutMetricData) or %s (a PutMetricData request per run)", c.MetricsTransport, MetricsEMF, MetricsAPI)
	}

	period, err := c.scheduleInterval()
	add(err)
	add(c.validateConfigSchedule())
	if c.AlarmPeriodMinutes < 0 || c.AlarmPeriodMinutes > 1440 {
		bad("alarmPeriodMinutes", "%d: want 1 to 1440 minutes", c.AlarmPeriodMinutes)
	} else if err == nil && period == 0 && c.AlarmPeriodMinutes == 0 && c.Schedule != ScheduleOff {
		bad("alarmPeriodMinutes", "required with a cron(...) schedule: the longest gap between two runs, in minutes")
	}
	if c.AlarmEmail != "" && (len(c.AlarmEmail) > 254 || !emailRe.MatchString(c.AlarmEmail)) {
		bad("alarmEmail", "%q is not an e-mail address (want name@example.com)", c.AlarmEmail)
	}
	if c.WorkflowType != WorkflowExpress && c.WorkflowType != WorkflowStandard {
		bad("workflowType", "%q: want EXPRESS (default: about $0.01 per 1,000 runs) or STANDARD (90-day execution history, $0.025 per 1,000 state transitions)", c.WorkflowType)
	}
	switch c.WorkflowLogLevel {
	case "ALL", "ERROR", "FATAL", "OFF":
	default:
		bad("workflowLogLevel", "%q: want ALL, ERROR (default: failed executions only), FATAL or OFF", c.WorkflowLogLevel)
	}
	if !namespaceRe.MatchString(c.MetricNamespace) || strings.HasPrefix(c.MetricNamespace, ":") || strings.HasPrefix(strings.ToUpper(c.MetricNamespace), "AWS/") {
		bad("metricNamespace", "%q: want 1 to 255 of letters, digits and .-_/#:, not starting with : or AWS/", c.MetricNamespace)
	}
	if _, n, err := parseMOfN(c.RunFailureAlarm); err != nil {
		add(err)
	} else if p := c.alarmPeriod(); p > 0 {
		limit := 24 * time.Hour
		if p >= time.Hour {
			limit = 7 * 24 * time.Hour
		}
		if time.Duration(n)*p > limit {
			bad("runFailureAlarm", "%d periods of %s exceed CloudWatch's evaluation range of %s; lower N or the period", n, p, limit)
		}
	}
	if c.ApiRemainingAlarmPercent < 1 || c.ApiRemainingAlarmPercent > 99 {
		bad("apiRemainingAlarmPercent", "%d: want 1 to 99 (percent of the org's daily API requests remaining)", c.ApiRemainingAlarmPercent)
	}
	subnets, groups := c.vpcIDs()
	switch {
	case (len(subnets) == 0) != (len(groups) == 0):
		bad("vpcSubnetIds", "vpcSubnetIds and vpcSecurityGroupIds go together: give both, or neither")
	default:
		for _, id := range subnets {
			if !subnetRe.MatchString(id) {
				bad("vpcSubnetIds", "%q is not a subnet id like subnet-0abc1234", id)
			}
		}
		for _, id := range groups {
			if !securityGroupRe.MatchString(id) {
				bad("vpcSecurityGroupIds", "%q is not a security group id like sg-0abc1234", id)
			}
		}
	}
	if c.RunLatencyMs < 1000 || c.RunLatencyMs >= maxRunMs {
		bad("runLatencyMs", "%d: want 1000 to %d milliseconds (a run times out at %d)", c.RunLatencyMs, maxRunMs-1, maxRunMs)
	}
	if _, ok := retentions[c.LogRetentionDays]; !ok {
		days := make([]int, 0, len(retentions))
		for d := range retentions {
			days = append(days, d)
		}
		sort.Ints(days)
		bad("logRetentionDays", "%d: want one of %v", c.LogRetentionDays, days)
	}
	if c.AssetRoot == "" {
		bad("assetRoot", "required: the folder holding <function>/bootstrap (make build writes dist)")
	}
	add(c.validateFleet())
	return errors.Join(errs...)
}

// validateSingleTarget checks the single-target keys.
func (c Config) validateSingleTarget() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	bad := func(key, format string, args ...any) {
		errs = append(errs, &validate.FieldError{Field: key, Msg: fmt.Sprintf(format, args...)})
	}
	if c.TargetFunctionArn == "" {
		bad("targetFunctionArn", "required (or targetsFile for several targets): the sfInvokeAPI function's ARN, e.g. arn:aws:lambda:us-east-1:123456789012:function:sfInvokeAPI")
	} else {
		add(validate.FunctionARN("targetFunctionArn", c.TargetFunctionArn))
	}
	if c.TestPhone == "" {
		bad("testPhone", "required (or targetsFile): the E.164 phone of the Salesforce test contact, e.g. +441122334455")
	} else {
		add(validate.Phone("testPhone", c.TestPhone))
	}
	add(validate.Fields("testFields", c.TestFields))
	add(stackSecretARN("secretArn", c.SecretArn, "required (or targetsFile)"))
	add(stackKeyARN("kmsKeyArn", c.KmsKeyArn, "required (or targetsFile)"))
	if c.ConnectInstanceArn != "" {
		add(validate.ConnectInstanceARN("connectInstanceArn", c.ConnectInstanceArn))
	}
	if c.TargetRoleArn != "" && !roleARNRe.MatchString(c.TargetRoleArn) {
		bad("targetRoleArn", "%q is not an IAM role ARN (want arn:aws:iam::<account>:role/[<path>/]<name>, as the function's configuration shows it)", c.TargetRoleArn)
	}
	if c.TargetName != "" {
		add(validate.Label("targetName", c.TargetName))
	}
	if len(errs) == 0 {
		add(sameRegion(c.TargetFunctionArn, "targetFunctionArn", map[string]string{
			"secretArn": c.SecretArn, "kmsKeyArn": c.KmsKeyArn, "connectInstanceArn": c.ConnectInstanceArn,
		}))
	}
	return errors.Join(errs...)
}

// stackSecretARN checks a secret ARN the stack's IAM policy names: required
// (missing says why) and complete.
func stackSecretARN(field, arn, missing string) error {
	if arn == "" {
		return &validate.FieldError{Field: field, Msg: missing + ": the complete ARN of sfInvokeAPI's credentials secret (the IAM policy names it)"}
	}
	if err := validate.SecretARN(field, arn); err != nil {
		return err
	}
	if !fullSecretRe.MatchString(arn) {
		return &validate.FieldError{Field: field, Msg: fmt.Sprintf("%q looks like a partial ARN: give the complete ARN, which ends in - and 6 random characters (the console's Secret ARN); the IAM policy names it exactly", arn)}
	}
	return nil
}

// stackKeyARN checks a KMS key ARN the stack's IAM policy names: required
// (missing says why) and a key, not an alias.
func stackKeyARN(field, arn, missing string) error {
	switch {
	case arn == "":
		return &validate.FieldError{Field: field, Msg: missing + ": the ARN of the secret's KMS key, arn:aws:kms:<region>:<account>:key/<id>"}
	case strings.Contains(arn, ":alias/"):
		return &validate.FieldError{Field: field, Msg: fmt.Sprintf("%q is an alias ARN: an IAM policy cannot grant on an alias, give the key ARN arn:aws:kms:<region>:<account>:key/<id>", arn)}
	}
	return validate.KMSKeyARN(field, arn)
}

// sameRegion: sfprobe's functions call a target's function, secret and key
// with one region's clients, the function's: the others must be in its
// region (fnField names the function's field in the errors).
func sameRegion(fnArn, fnField string, others map[string]string) error {
	want := arnField(fnArn, 3)
	var errs []error
	for key, arn := range others {
		if arn != "" && arnField(arn, 3) != want {
			errs = append(errs, &validate.FieldError{Field: key, Msg: fmt.Sprintf("region %s differs from %s's %s: a target's secret, key and Connect instance are in its function's region", arnField(arn, 3), fnField, want)})
		}
	}
	sortErrs(errs)
	return errors.Join(errs...)
}

// scheduleInterval returns the interval of a rate(...) schedule, 0 for
// cron(...) and off.
func (c Config) scheduleInterval() (time.Duration, error) {
	if c.Schedule == ScheduleOff {
		return 0, nil
	}
	return parseSchedule("schedule", c.Schedule, "off")
}

// parseSchedule returns the interval of the rate(...) expression s of key,
// 0 for a cron(...) expression. alternatives names the key's other values
// in the error.
func parseSchedule(key, s, alternatives string) (time.Duration, error) {
	if cronRe.MatchString(s) {
		return 0, nil
	}
	m := rateRe.FindStringSubmatch(s)
	if m == nil {
		return 0, &validate.FieldError{Field: key, Msg: fmt.Sprintf("%q: want rate(<n> minutes|hours|days), cron(<min> <hour> <day-of-month> <month> <day-of-week> <year>) or %s", s, alternatives)}
	}
	n, err := strconv.Atoi(m[1])
	unit := m[2]
	switch {
	case err != nil || n < 1:
		return 0, &validate.FieldError{Field: key, Msg: fmt.Sprintf("%q: the rate must be at least 1", s)}
	case n == 1 && strings.HasSuffix(unit, "s"):
		return 0, &validate.FieldError{Field: key, Msg: fmt.Sprintf("%q: write rate(1 %s) (EventBridge Scheduler wants the singular for 1)", s, strings.TrimSuffix(unit, "s"))}
	case n > 1 && !strings.HasSuffix(unit, "s"):
		return 0, &validate.FieldError{Field: key, Msg: fmt.Sprintf("%q: write rate(%d %ss) (EventBridge Scheduler wants the plural above 1)", s, n, unit)}
	}
	d := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[strings.TrimSuffix(unit, "s")]
	if iv := time.Duration(n) * d; iv <= 24*time.Hour {
		return iv, nil
	}
	return 0, &validate.FieldError{Field: key, Msg: fmt.Sprintf("%q: run at least once a day (the run alarms' period is the interval, at most 1 day)", s)}
}

// validateConfigSchedule checks configSchedule: every-run or off, or an
// expression like schedule's.
func (c Config) validateConfigSchedule() error {
	switch c.ConfigSchedule {
	case ConfigScheduleEveryRun, ScheduleOff:
		return nil
	}
	_, err := parseSchedule("configSchedule", c.ConfigSchedule, ConfigScheduleEveryRun+" (the AWS-side checks on every run)")
	return err
}

// splitSchedules reports whether the stack schedules the Salesforce chain
// (schedule, scope "salesforce") and the AWS-side checks (configSchedule,
// scope "aws") separately. It does not when there is no schedule, when
// configSchedule is every-run or off, or when it would not run less often
// than schedule (equal expressions, or rates no slower than schedule's):
// then every run makes every check. Two different expressions of which one
// is a cron(...) are taken as meant.
func (c Config) splitSchedules() bool {
	if c.Schedule == ScheduleOff || c.ConfigSchedule == ConfigScheduleEveryRun || c.ConfigSchedule == ScheduleOff {
		return false
	}
	if c.ConfigSchedule == c.Schedule {
		return false
	}
	every, errA := parseSchedule("schedule", c.Schedule, "")
	configEvery, errB := parseSchedule("configSchedule", c.ConfigSchedule, "")
	if errA != nil || errB != nil || every == 0 || configEvery == 0 {
		return true
	}
	return configEvery > every
}

// alarmPeriod is the period of the run alarms: alarmPeriodMinutes, else the
// rate's interval, else 5 minutes without a schedule. Zero means unknown
// (a cron schedule without alarmPeriodMinutes, which Validate rejects).
func (c Config) alarmPeriod() time.Duration {
	if c.AlarmPeriodMinutes > 0 {
		return time.Duration(c.AlarmPeriodMinutes) * time.Minute
	}
	if c.Schedule == ScheduleOff {
		return offAlarmPeriodMinutes * time.Minute
	}
	iv, _ := c.scheduleInterval()
	return iv
}

// runFailureMOfN returns the validated M and N of RunFailureAlarm.
func (c Config) runFailureMOfN() (m, n int) {
	m, n, _ = parseMOfN(c.RunFailureAlarm)
	return m, n
}

func parseMOfN(s string) (m, n int, err error) {
	parts := mOfNRe.FindStringSubmatch(strings.TrimSpace(s))
	if parts != nil {
		m, _ = strconv.Atoi(parts[1])
		n, _ = strconv.Atoi(parts[2])
		if m >= 1 && m <= n && n <= 100 {
			return m, n, nil
		}
	}
	return 0, 0, &validate.FieldError{Field: "runFailureAlarm", Msg: fmt.Sprintf("%q: want M/N, M failed or missing periods out of the last N, 1 <= M <= N <= 100 (default 2/3)", s)}
}

// Label is the Target dimension's value: TargetName, else the bare function
// name of the ARN (as the functions compute it).
func (c Config) Label() string {
	if c.TargetName != "" {
		return c.TargetName
	}
	return arnField(c.TargetFunctionArn, 6)
}

// baseArn is a function ARN without its qualifier.
func baseArn(fn string) string {
	parts := strings.Split(fn, ":")
	if len(parts) > 7 {
		parts = parts[:7]
	}
	return strings.Join(parts, ":")
}

// arnField returns the i-th ":"-separated field of an ARN (3 region,
// 4 account, 6 a Lambda function's name).
func arnField(arn string, i int) string {
	parts := strings.Split(arn, ":")
	if i < len(parts) {
		return parts[i]
	}
	return ""
}

func sortErrs(errs []error) {
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
}

var (
	subnetRe        = regexp.MustCompile(`^subnet-[0-9a-f]{8,17}$`)
	securityGroupRe = regexp.MustCompile(`^sg-[0-9a-f]{8,17}$`)
)

// vpcIDs are the subnets and security groups of vpcSubnetIds and
// vpcSecurityGroupIds.
func (c Config) vpcIDs() (subnets, groups []string) {
	split := func(s string) []string {
		var out []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	return split(c.VpcSubnetIds), split(c.VpcSecurityGroupIds)
}

// dailySalesforceCalls is what sfprobe's schedules spend of a target org's
// daily API calls: check.PassingChainCalls per chain run and
// check.LoginAPICalls per SalesforceLogin run; 0 when a cron(...) schedule
// or none makes it unknown.
func (c Config) dailySalesforceCalls() int {
	every, err := c.scheduleInterval()
	if err != nil || every == 0 {
		return 0
	}
	chainRuns := int(24 * time.Hour / every)
	loginRuns := chainRuns
	if c.splitSchedules() {
		configEvery, err := parseSchedule("configSchedule", c.ConfigSchedule, "")
		if err != nil || configEvery == 0 {
			return 0
		}
		loginRuns = int(24 * time.Hour / configEvery)
	}
	return chainRuns*check.PassingChainCalls + loginRuns*check.LoginAPICalls
}

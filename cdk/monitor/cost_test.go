package monitor

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sfprobe/sfprobe/internal/workflow"
)

// alarmMetrics counts what CloudWatch bills for the template's alarms: each
// metric of a metric alarm ($0.10; a metric-math alarm pays per metric in
// it), and each composite alarm ($0.50).
func (s *synthesized) alarmMetrics() (metrics, composites int) {
	for _, r := range s.resources("AWS::CloudWatch::Alarm") {
		p := props(r)
		if ms, ok := p["Metrics"].([]any); ok {
			for _, m := range ms {
				if _, ok := m.(map[string]any)["MetricStat"]; ok {
					metrics++
				}
			}
			continue
		}
		metrics++
	}
	return metrics, len(s.resources("AWS::CloudWatch::CompositeAlarm"))
}

// TestAlarmCost pins the alarm part of docs/DEPLOY.md's cost section.
func TestAlarmCost(t *testing.T) {
	tests := []struct {
		variant     string
		wantMetrics int
	}{
		// RunFailure (2: RunSuccess and Paused), CleanupFailure,
		// SalesforceApiRemaining, MaintenanceWindow.
		{"default", 5},
		// + RunLatency (detailedMetrics), ExecutionsFailed,
		// ExecutionsTimedOut, ExecutionThrottled and 4 FunctionErrors
		// (diagnosticAlarms), 8 CheckFailure (perCheckAlarms).
		{"full", 5 + 1 + 3 + len(workflow.Functions) + 9},
		// Per target RunFailure (2), CleanupFailure and
		// SalesforceApiRemaining; one MaintenanceWindow.
		{"fleet", 2*4 + 1},
		// + per target RunLatency and 8 CheckFailure; once the 7
		// diagnostic alarms.
		{"fleetFull", 2*(4+1+9) + 1 + 3 + len(workflow.Functions)},
	}
	for _, tt := range tests {
		t.Run(tt.variant, func(t *testing.T) {
			metrics, composites := synth(t, tt.variant).alarmMetrics()
			assert.Equal(t, tt.wantMetrics, metrics)
			assert.Equal(t, 1, composites)
		})
	}
}

// The price list (us-east-1 list prices, no free tiers) and the per-run
// assumptions of docs/DEPLOY.md's cost section.
const (
	perStandingMetric = 0.30         // a custom metric published all month
	perAlarmMetric    = 0.10         // a standard-resolution alarm, per metric
	perComposite      = 0.50         // a composite alarm
	perKey            = 1.00         // a customer managed KMS key
	perLambdaRequest  = 0.20e-6      // a Lambda invocation
	perArmGBs         = 0.0000133334 // Lambda arm64 GB-s (sfprobe's functions)
	perX86GBs         = 0.0000166667 // Lambda x86 GB-s (sfInvokeAPI, assumed)
	perExpressRequest = 1.00e-6      // a Step Functions Express execution
	perExpressGBs     = 0.00001667   // Express duration, per GB-s (64 MB units)
	perSchedulerStart = 1.00e-6      // an EventBridge Scheduler invocation
	perSecretsCall    = 0.05 / 1e4   // a Secrets Manager API call
	perKMSRequest     = 0.03 / 1e4   // a KMS request
	perLogByte        = 0.50 / 1e9   // CloudWatch Logs ingestion
	perPutMetricData  = 0.01 / 1e3   // a PutMetricData request (metricsTransport api)

	chainSeconds, awsSeconds = 5.0, 2.5            // an Express execution's duration
	chainLogBytes            = 2500.0              // the handlers' lines of a chain run
	awsLogBytes              = 2000.0              // ... of an AWS-side run
	emfBytes                 = 600.0               // the embedded-metric-format lines, per target and run
	awsRunsPerMonth          = 30 * 24 * 60 / 15.0 // configSchedule rate(15 minutes)
	standingMetricsPerTarget = 3                   // RunSuccess, SalesforceCalls, SalesforceApiRemaining
	minutesPerMonth          = 30 * 24 * 60
	summarizeCost            = perLambdaRequest + 0.1*0.125*perArmGBs // the fleet report, several targets only
)

// runCosts are the per-run costs of docs/DEPLOY.md: each run's part per
// target, and its part shared by the targets of one execution.
type runCosts struct{ chainTarget, chainShared, awsTarget, awsShared float64 }

func perRun() runCosts {
	return runCosts{
		chainTarget: 6*perLambdaRequest + 4.5*0.125*perArmGBs + // check-salesforce ×4, cleanup, publish-metrics
			5*perLambdaRequest + 5*0.8*0.125*perX86GBs + // sfInvokeAPI
			(chainLogBytes+emfBytes)*perLogByte,
		chainShared: perExpressRequest + chainSeconds*0.0625*perExpressGBs + perSchedulerStart,
		awsTarget: 2*perLambdaRequest + 3*0.125*perArmGBs + // check-config (SalesforceLogin's round trips: 2 s), publish-metrics
			// DescribeSecret, GetSecretValue (SecretAccess; SalesforceLogin's
			// read and re-read before revoking), ListSecretVersionIds;
			// DescribeKey, GetKeyPolicy, a Decrypt per GetSecretValue.
			5*perSecretsCall + 5*perKMSRequest +
			(awsLogBytes+emfBytes)*perLogByte,
		awsShared: perExpressRequest + awsSeconds*0.0625*perExpressGBs + perSchedulerStart,
	}
}

// monthly is one stack's cost for a month at a chain cadence of every
// minutes: per target, and shared by its targets (the template's alarms
// and keys included).
type monthly struct{ perTarget, shared float64 }

func monthlyCost(s *synthesized, targets, every int) monthly {
	alarms, composites := s.alarmMetrics()
	keys := len(s.resources("AWS::KMS::Key"))
	perTargetAlarms := 4 // RunFailure (2 metrics), CleanupFailure, SalesforceApiRemaining
	chain := float64(minutesPerMonth / every)
	r := perRun()
	m := monthly{
		perTarget: standingMetricsPerTarget*perStandingMetric + float64(perTargetAlarms)*perAlarmMetric +
			chain*r.chainTarget + awsRunsPerMonth*r.awsTarget,
		shared: float64(alarms-perTargetAlarms*targets)*perAlarmMetric + float64(composites)*perComposite + float64(keys)*perKey +
			chain*r.chainShared + awsRunsPerMonth*r.awsShared,
	}
	if targets > 1 {
		m.shared += (chain + awsRunsPerMonth) * summarizeCost
	}
	return m
}

// each is the cost per target of a stack probing n targets.
func (m monthly) each(n int) float64 { return m.perTarget + m.shared/float64(n) }

func usd(x float64) string { return fmt.Sprintf("$%.2f", x) }

// TestCostSection pins docs/DEPLOY.md's and README.md's cost tables to the
// model above and to the synthesized templates' alarms and keys.
func TestCostSection(t *testing.T) {
	own, shared := synth(t, "default"), synth(t, "lean")
	fleetOwn := synth(t, "fleet")
	r := perRun()
	chainRun, awsRun := r.chainTarget+r.chainShared, r.awsTarget+r.awsShared
	at := func(s *synthesized, n, every int) monthly { return monthlyCost(s, n, every) }
	perRunPart := func(every int) float64 {
		return float64(minutesPerMonth/every)*chainRun + awsRunsPerMonth*awsRun
	}
	fixed := func(s *synthesized, every int) float64 {
		m := at(s, 1, every)
		return m.perTarget + m.shared - perRunPart(every)
	}
	require.InDelta(t, 2.90, fixed(own, 5), 0.001, "fixed part, own topic key")
	require.InDelta(t, 1.90, fixed(shared, 5), 0.001, "fixed part, shared key")
	// A stack of two targets: its shared fixed part is MaintenanceWindow,
	// Paging and the key.
	require.InDelta(t, 1.60, at(fleetOwn, 2, 5).shared-(float64(minutesPerMonth/5)*(r.chainShared+summarizeCost)+awsRunsPerMonth*(r.awsShared+summarizeCost)), 0.001)

	pair := func(a, b float64) string { return usd(a) + " / " + usd(b) }
	fleet := func(n int) string {
		// The fleet's shared part with a shared key: the same less the key.
		ownKey := func(every int) monthly { return at(fleetOwn, 2, every) }
		noKey := func(every int) monthly { m := ownKey(every); m.shared -= perKey; return m }
		return fmt.Sprintf("| %s | %s |", pair(ownKey(5).each(n), noKey(5).each(n)), pair(ownKey(1).each(n), noKey(1).each(n)))
	}
	deploy := []string{
		fmt.Sprintf("≈ $%.7f", chainRun),
		fmt.Sprintf("≈ $%.7f", awsRun),
		fmt.Sprintf("| Salesforce-chain runs (8,640 / 43,200 × $%.7f) | %s | %s |", chainRun,
			usd(float64(minutesPerMonth/5)*chainRun), usd(float64(minutesPerMonth)*chainRun)),
		fmt.Sprintf("| AWS-side runs (2,880 × $%.7f) | %s | %s |", awsRun, usd(awsRunsPerMonth*awsRun), usd(awsRunsPerMonth*awsRun)),
		fmt.Sprintf("| per-run part | %s | %s |", usd(perRunPart(5)), usd(perRunPart(1))),
		fmt.Sprintf("| **total, own topic key** | **%s** | **%s** |", usd(perRunPart(5)+fixed(own, 5)), usd(perRunPart(1)+fixed(own, 1))),
		fmt.Sprintf("| **total, shared key (`topicKmsKeyArn`)** | **%s** | **%s** |", usd(perRunPart(5)+fixed(shared, 5)), usd(perRunPart(1)+fixed(shared, 1))),
		fmt.Sprintf("| per-target part: 3 standing metrics, RunFailure, CleanupFailure and SalesforceApiRemaining ($1.30), its runs' Lambdas, sfInvokeAPI, Secrets Manager, KMS and log bytes | %s | %s |",
			usd(at(fleetOwn, 2, 5).perTarget), usd(at(fleetOwn, 2, 1).perTarget)),
		fmt.Sprintf("| shared part, own key / shared key: MaintenanceWindow, Paging and the key ($1.60 / $0.60), Express, Scheduler and the fleet report | %s | %s |",
			pair(at(fleetOwn, 2, 5).shared, at(fleetOwn, 2, 5).shared-perKey), pair(at(fleetOwn, 2, 1).shared, at(fleetOwn, 2, 1).shared-perKey)),
		"| **2 targets**, own key / shared key " + fleet(2),
		"| **3 targets**, own key / shared key " + fleet(3),
		"| **5 targets**, own key / shared key " + fleet(5),
		"| **50 targets**, own key / shared key " + fleet(50),
		// A PutMetricData request per target and run instead of the EMF bytes.
		fmt.Sprintf("| `metricsTransport=api` (one `PutMetricData` per target and run instead of the EMF bytes) | +%s | +%s |",
			usd((float64(minutesPerMonth/5)+awsRunsPerMonth)*(perPutMetricData-emfBytes*perLogByte)),
			usd((float64(minutesPerMonth)+awsRunsPerMonth)*(perPutMetricData-emfBytes*perLogByte))),
	}
	readme := []string{
		fmt.Sprintf("| per-run part, one target (Step Functions, Lambda incl. sfInvokeAPI's own, Secrets Manager, KMS, logs incl. the embedded-metric-format lines, Scheduler) | %s | %s |",
			usd(perRunPart(5)), usd(perRunPart(1))),
		fmt.Sprintf("| **one target per stack**, own key / shared key | **%s** | **%s** |",
			pair(perRunPart(5)+fixed(own, 5), perRunPart(5)+fixed(shared, 5)), pair(perRunPart(1)+fixed(own, 1), perRunPart(1)+fixed(shared, 1))),
		"| per target, 2 targets in one stack, own key / shared key " + fleet(2),
		"| per target, 5 targets in one stack, own key / shared key " + fleet(5),
	}
	for file, rows := range map[string][]string{"../../docs/DEPLOY.md": deploy, "../../README.md": readme} {
		doc, err := os.ReadFile(file)
		require.NoError(t, err)
		for _, row := range rows {
			assert.True(t, strings.Contains(string(doc), row), "%s lacks the row (or its numbers changed):\n%s", file, row)
		}
	}
}

// TestTopicKeyShared: with topicKmsKeyArn the stack creates no key ($1 a
// month) and encrypts the topic with the given one.
func TestTopicKeyShared(t *testing.T) {
	s := synth(t, "lean")
	s.template.ResourceCountIs(jsii.String("AWS::KMS::Key"), jsii.Number(0))
	s.template.HasResourceProperties(jsii.String("AWS::SNS::Topic"), map[string]any{"KmsMasterKeyId": testTopicKeyArn})
	synth(t, "default").template.ResourceCountIs(jsii.String("AWS::KMS::Key"), jsii.Number(1))
}

// TestWorkflowLogLevelOff: no logging configuration, no log group and no
// log-delivery permissions.
func TestWorkflowLogLevelOff(t *testing.T) {
	s := synth(t, "lean")
	assert.Nil(t, s.stack.Workflow.LogGroup)
	s.template.ResourceCountIs(jsii.String("AWS::Logs::LogGroup"), jsii.Number(float64(len(workflow.Functions))))
	s.template.HasResourceProperties(jsii.String("AWS::StepFunctions::StateMachine"), map[string]any{
		"LoggingConfiguration": assertions.Match_Absent(),
		"TracingConfiguration": map[string]any{"Enabled": false},
	})
	sm := s.resources("AWS::StepFunctions::StateMachine")[onlyID(t, s.resources("AWS::StepFunctions::StateMachine"))]
	for _, st := range s.roleStatements(t, ref(t, props(sm)["RoleArn"])) {
		assert.NotContains(t, st.Resources, "*", "%s: nothing on * without logs or tracing", st.Sid)
	}
}

// TestTracingOptIn: X-Ray only with tracing, and its actions with it.
func TestTracingOptIn(t *testing.T) {
	for variant, want := range map[string]bool{"default": false, "full": true} {
		s := synth(t, variant)
		s.template.HasResourceProperties(jsii.String("AWS::StepFunctions::StateMachine"), map[string]any{
			"TracingConfiguration": map[string]any{"Enabled": want},
		})
		sm := s.resources("AWS::StepFunctions::StateMachine")[onlyID(t, s.resources("AWS::StepFunctions::StateMachine"))]
		xray := false
		for _, st := range s.roleStatements(t, ref(t, props(sm)["RoleArn"])) {
			for _, a := range st.Actions {
				xray = xray || a == "xray:PutTraceSegments"
			}
		}
		require.Equal(t, want, xray, variant)
	}
}

// The Distributed Map's prices and assumptions (docs/DEPLOY.md, "Fleets
// of more than 50 targets"): a STANDARD parent per run, an EXPRESS child
// per target and run, every target's report in S3.
const (
	perTransition        = 0.025 / 1e3 // a STANDARD state transition
	perS3Put             = 0.005 / 1e3 // PUT, COPY, POST, LIST
	perS3Get             = 0.0004 / 1e3
	perS3GBMonth         = 0.023
	perInsightsMetric    = 0.10 // a Metrics Insights alarm, per metric it analyses
	parentTransitions    = fleetParentTransitions
	reportBytes          = 5000.0 // a target's full report in S3
	fleetReportPerTarget = 500.0  // its share of fleet.json
	// summarizeSeconds is the fleet summary's duration: a base and a few
	// milliseconds per report it reads (bounded concurrency).
	summarizeBase, summarizePerTarget = 0.2, 0.003
	// Per run: the ItemReader's GET, the ResultWriter's manifest and
	// result files (~3 PUT), fleet.json's PUT.
	fleetRunGets, fleetRunPuts = 1, 4
)

// fleetMonthly is a Distributed Map stack's month of n targets at a chain
// cadence of every minutes (AWS-side runs every 15), with the stack's own
// topic key: the part per target and the part per stack.
func fleetMonthly(n, every int) monthly {
	r := perRun()
	chain := float64(minutesPerMonth / every)
	runs := chain + awsRunsPerMonth
	child := func(seconds float64) float64 { return perExpressRequest + seconds*0.0625*perExpressGBs }
	retainedRuns := runs * float64(DefaultResultsRetentionDays) / 30
	perTarget := standingMetricsPerTarget*perStandingMetric + perInsightsMetric + // SalesforceApiRemaining's query analyses each target's series
		chain*(r.chainTarget+child(chainSeconds)) + awsRunsPerMonth*(r.awsTarget+child(awsSeconds)) +
		runs*(perS3Put+perS3Get) + // its report, written and read once
		retainedRuns*(reportBytes+fleetReportPerTarget)/1e9*perS3GBMonth
	summarize := func() float64 {
		return perLambdaRequest + (summarizeBase+summarizePerTarget*float64(n))*0.125*perArmGBs + float64((n+999)/1000)*perS3Put
	}
	shared := 2*perAlarmMetric + perAlarmMetric + perComposite + perKey + // RunFailure (FleetRunSuccess, Paused), MaintenanceWindow, Paging, the key
		perStandingMetric + // FleetRunSuccess
		runs*(float64(parentTransitions)*perTransition+perSchedulerStart+summarize()+fleetRunGets*perS3Get+fleetRunPuts*perS3Put)
	return monthly{perTarget: perTarget, shared: shared}
}

// TestFleetCostSection pins the Distributed Map's cost table of
// docs/DEPLOY.md to fleetMonthly.
func TestFleetCostSection(t *testing.T) {
	pair := func(a, b float64) string { return usd(a) + " / " + usd(b) }
	row := func(n int) string {
		at := func(every int) (float64, float64) {
			m := fleetMonthly(n, every)
			return m.each(n), m.each(n) - perKey/float64(n)
		}
		a5, b5 := at(5)
		a1, b1 := at(1)
		return fmt.Sprintf("| **%s targets**, per target, own key / shared key | %s | %s |", thousands(n), pair(a5, b5), pair(a1, b1))
	}
	total := func(n int) string {
		return fmt.Sprintf("| %s targets, the whole stack (own key) | %s | %s |", thousands(n),
			usd(fleetMonthly(n, 5).each(n)*float64(n)), usd(fleetMonthly(n, 1).each(n)*float64(n)))
	}
	rows := []string{row(100), row(1000), total(100), total(1000)}
	doc, err := os.ReadFile("../../docs/DEPLOY.md")
	require.NoError(t, err)
	for _, r := range rows {
		assert.True(t, strings.Contains(string(doc), r), "docs/DEPLOY.md lacks the row (or its numbers changed):\n%s", r)
	}
	// The fleet stack's alarms are the 4 of TestBigFleetOfManyAlarms whatever its size.
	assert.Equal(t, 4, len(fleetSynth(t, workflow.MaxFleetTargets).resources("AWS::CloudWatch::Alarm")))
}

func thousands(n int) string {
	if n >= 1000 {
		return fmt.Sprintf("%d,%03d", n/1000, n%1000)
	}
	return fmt.Sprint(n)
}
